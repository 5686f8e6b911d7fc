// Package driverio is what the Go drivers share: one JSON object per line on stdout, and
// key=value arguments whose errors end the driver with an error line.
package driverio

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

var outMu sync.Mutex

// Emit prints v as one line of JSON; lines of concurrent callers never interleave.
func Emit(v map[string]interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, "json:", err)
		os.Exit(3)
	}
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

// Fail prints an error line and exits 1.
func Fail(format string, x ...interface{}) {
	Emit(map[string]interface{}{"error": fmt.Sprintf(format, x...)})
	os.Exit(1)
}

// Args are a mode's key=value arguments.
type Args map[string]string

// ParseArgs reads key=value words; any other word fails the driver.
func ParseArgs(list []string) Args {
	a := Args{}
	for _, kv := range list {
		i := strings.IndexByte(kv, '=')
		if i < 0 {
			Fail("bad argument %q (want key=value)", kv)
		}
		a[kv[:i]] = kv[i+1:]
	}
	return a
}

// Str is the value of k, or def.
func (a Args) Str(k, def string) string {
	if v, ok := a[k]; ok {
		return v
	}
	return def
}

// Need is the value of k; without one the driver fails.
func (a Args) Need(k string) string {
	v, ok := a[k]
	if !ok {
		Fail("missing argument %s=", k)
	}
	return v
}

// Num is the number k, or def; a value that is no number fails the driver.
func (a Args) Num(k string, def int) int {
	v, ok := a[k]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		Fail("argument %s=%q is not a number", k, v)
	}
	return n
}

// Millis is the number of milliseconds k, or def, as a duration.
func (a Args) Millis(k string, def int) time.Duration {
	return time.Duration(a.Num(k, def)) * time.Millisecond
}
