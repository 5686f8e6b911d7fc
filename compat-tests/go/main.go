// Command godriver drives the unmodified Go RocketMQ client (rocketmq-client-go/v2) for the
// compat tests. It prints one JSON object per line on stdout; everything else (client logs)
// goes to stderr.
//
//	godriver produce ns=ADDR[;ADDR] topic=T group=G count=N [mode=sync|async|oneway|batch]
//	                 [tag=TagA] [keys=k1,k2] [prop.NAME=VALUE ...] [body=prefix]
//	                 (oneway ends with one sync send tagged Fence, see fence)
//	godriver consume ns=ADDR topic=T group=G expect=N [timeout_ms=60000] [from=first|last]
//	                 [expr=*] [linger_ms=1500]
//
// produce prints {"i":..,"status":..,"msgId":..,"offsetMsgId":..,"broker":..,"queueId":..,
// "queueOffset":..} per message (sync/async) and {"done":true,"sent":N,"failed":F} last.
// consume prints {"ready":true} once started, one object per received message, and
// {"done":true,"received":N} when N distinct messages arrived (exit 0) or at the timeout (exit 2).
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	driverio "thrust/compat-tests/godriverio"
)

// The shared helpers under this driver's short names.
type args = driverio.Args

var (
	emit      = driverio.Emit
	fail      = driverio.Fail
	parseArgs = driverio.ParseArgs
)

func nsList(a args) []string { return strings.Split(a.Need("ns"), ";") }

func main() {
	if len(os.Args) < 2 {
		fail("usage: godriver produce|consume key=value...")
	}
	if os.Getenv("ROCKETMQ_GO_LOG_LEVEL") == "" {
		rlog.SetLogLevel("warn")
	}
	a := parseArgs(os.Args[2:])
	switch os.Args[1] {
	case "produce":
		produce(a)
	case "consume":
		consume(a)
	default:
		fail("unknown mode %q", os.Args[1])
	}
}

func buildMessage(a args, i int) *primitive.Message {
	body := fmt.Sprintf("%s-%d", a.Str("body", "go"), i)
	msg := primitive.NewMessage(a.Need("topic"), []byte(body))
	if tag := a.Str("tag", ""); tag != "" {
		msg.WithTag(tag)
	}
	if keys := a.Str("keys", ""); keys != "" {
		msg.WithKeys(strings.Split(keys, ","))
	}
	for k, v := range a {
		if strings.HasPrefix(k, "prop.") {
			msg.WithProperty(strings.TrimPrefix(k, "prop."), v)
		}
	}
	return msg
}

func resultJSON(i int, r *primitive.SendResult) map[string]interface{} {
	m := map[string]interface{}{"i": i, "status": sendStatus(r.Status), "msgId": r.MsgID,
		"offsetMsgId": r.OffsetMsgID, "queueOffset": r.QueueOffset}
	if r.MessageQueue != nil {
		m["broker"] = r.MessageQueue.BrokerName
		m["queueId"] = r.MessageQueue.QueueId
	}
	return m
}

func sendStatus(s primitive.SendStatus) string {
	switch s {
	case primitive.SendOK:
		return "SEND_OK"
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	default:
		return "UNKNOWN_ERROR"
	}
}

func produce(a args) {
	opts := []producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver(nsList(a))),
		producer.WithGroupName(a.Need("group")),
		producer.WithRetry(a.Num("retry", 2)),
		producer.WithSendMsgTimeout(time.Duration(a.Num("send_timeout_ms", 15000)) * time.Millisecond),
	}
	// ACL 1.0: ak= and sk= sign every request (primitive.Credentials).
	if ak := a.Str("ak", ""); ak != "" {
		opts = append(opts, producer.WithCredentials(primitive.Credentials{AccessKey: ak, SecretKey: a.Need("sk")}))
	}
	p, err := rocketmq.NewProducer(opts...)
	if err != nil {
		fail("new producer: %v", err)
	}
	if err := p.Start(); err != nil {
		fail("start producer: %v", err)
	}
	count, mode := a.Num("count", 1), a.Str("mode", "sync")
	if mode == "batch" {
		produceBatch(p, a, count)
		return
	}
	failed := 0
	var wg sync.WaitGroup
	var failMu sync.Mutex
	for i := 0; i < count; i++ {
		msg := buildMessage(a, i)
		switch mode {
		case "sync":
			r, err := p.SendSync(context.Background(), msg)
			if err != nil {
				failed++
				emit(map[string]interface{}{"i": i, "error": err.Error()})
			} else {
				emit(resultJSON(i, r))
			}
		case "async":
			wg.Add(1)
			idx := i
			err := p.SendAsync(context.Background(), func(_ context.Context, r *primitive.SendResult, err error) {
				defer wg.Done()
				if err != nil {
					failMu.Lock()
					failed++
					failMu.Unlock()
					emit(map[string]interface{}{"i": idx, "error": err.Error()})
				} else {
					emit(resultJSON(idx, r))
				}
			}, msg)
			if err != nil {
				wg.Done()
				failed++
				emit(map[string]interface{}{"i": i, "error": err.Error()})
			}
		case "oneway":
			if err := p.SendOneWay(context.Background(), msg); err != nil {
				failed++
				emit(map[string]interface{}{"i": i, "error": err.Error()})
			}
		default:
			fail("unknown send mode %q", mode)
		}
	}
	wg.Wait()
	if mode == "oneway" {
		fence(p, a)
	}
	_ = p.Shutdown()
	emit(map[string]interface{}{"done": true, "sent": count - failed, "failed": failed})
	if failed > 0 {
		os.Exit(2)
	}
}

// fence sends one sync message tagged "Fence" after oneway sends. The Go client closes its
// connections at Shutdown without a last request (the Java client unregisters), and a socket
// closed while an answer (a heartbeat's) sits unread is reset, which drops whatever it had not
// yet put on the wire: the fence's answer comes after the broker has read every oneway frame
// sent before it on that connection. Scenarios with one broker; consumers select TagA.
func fence(p rocketmq.Producer, a args) {
	msg := primitive.NewMessage(a.Need("topic"), []byte("fence"))
	msg.WithTag("Fence")
	if _, err := p.SendSync(context.Background(), msg); err != nil {
		emit(map[string]interface{}{"fence": err.Error()})
	}
}

// produceBatch sends all count messages in one SendSync call: the client encodes them as one
// SEND_BATCH_MESSAGE, and the result's msgId lists every message's id, comma-separated.
func produceBatch(p rocketmq.Producer, a args, count int) {
	msgs := make([]*primitive.Message, 0, count)
	for i := 0; i < count; i++ {
		msgs = append(msgs, buildMessage(a, i))
	}
	r, err := p.SendSync(context.Background(), msgs...)
	_ = p.Shutdown()
	if err != nil {
		emit(map[string]interface{}{"error": err.Error()})
		os.Exit(2)
	}
	emit(resultJSON(0, r))
	emit(map[string]interface{}{"done": true, "sent": count, "failed": 0})
}

func consume(a args) {
	from := consumer.ConsumeFromFirstOffset
	if a.Str("from", "first") == "last" {
		from = consumer.ConsumeFromLastOffset
	}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver(nsList(a))),
		consumer.WithGroupName(a.Need("group")),
		consumer.WithConsumeFromWhere(from),
		consumer.WithConsumerModel(consumer.Clustering),
	)
	if err != nil {
		fail("new push consumer: %v", err)
	}
	expect := a.Num("expect", 1)
	seen := map[string]bool{}
	var mu sync.Mutex
	all := make(chan struct{})
	selector := consumer.MessageSelector{Type: consumer.TAG, Expression: a.Str("expr", "*")}
	err = c.Subscribe(a.Need("topic"), selector, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			props := m.GetProperties()
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			emit(map[string]interface{}{"topic": m.Topic, "body": string(m.Body), "tags": m.GetTags(),
				"keys": m.GetKeys(), "msgId": m.MsgId, "offsetMsgId": m.OffsetMsgId,
				"queueId": m.Queue.QueueId, "broker": m.Queue.BrokerName, "queueOffset": m.QueueOffset,
				"reconsumeTimes": m.ReconsumeTimes, "props": props})
			mu.Lock()
			seen[m.MsgId] = true
			if len(seen) == expect {
				close(all)
			}
			mu.Unlock()
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		fail("subscribe: %v", err)
	}
	if err := c.Start(); err != nil {
		fail("start push consumer: %v", err)
	}
	emit(map[string]interface{}{"ready": true})
	timeout := time.Duration(a.Num("timeout_ms", 60000)) * time.Millisecond
	code := 0
	select {
	case <-all:
		// Stay a moment longer so duplicates would show up in the output.
		time.Sleep(time.Duration(a.Num("linger_ms", 1500)) * time.Millisecond)
	case <-time.After(timeout):
		code = 2
	}
	mu.Lock()
	n := len(seen)
	mu.Unlock()
	emit(map[string]interface{}{"done": true, "received": n})
	// Shutdown can block on unreachable brokers; the result is already printed.
	go func() { _ = c.Shutdown() }()
	time.Sleep(500 * time.Millisecond)
	os.Exit(code)
}
