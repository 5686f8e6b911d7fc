module thrust/compat-tests/godriverio

go 1.21
