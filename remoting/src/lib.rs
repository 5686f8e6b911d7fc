//! RocketMQ remoting: `RemotingCommand` framing, JSON and ROCKETMQ headers, request and response
//! codes, typed custom headers, fastjson-compatible bodies, and a tokio server and client.
