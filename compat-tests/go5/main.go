// Command go5driver drives the unmodified Go 5.x gRPC SDK (github.com/apache/rocketmq-clients/golang/v5)
// against a gRPC endpoint (Java's proxy, or Thrust's own) for the compat tests. It prints one
// JSON object per line on stdout, the same lines as the Java SDK's GrpcDriver
// (compat-tests/java/grpc), so that one set of checks reads every SDK's output; the SDK's own logs
// go under $HOME/logs.
//
//	go5driver produce ep=ADDR count=N [normal=T] [fifo=T] [delay=T] [tx=T] [groups=2]
//	                  [delay_ms=4000] [check_timeout_ms=60000]
//	go5driver receive ep=ADDR group=G topics=T[,T..] expect=N [invisible_ms=15000]
//	                  [timeout_ms=60000] [linger_ms=2000]
//	go5driver invisible ep=ADDR group=G topic=T [long_ms=30000] [short_ms=2000] [timeout_ms=60000]
//
// Every message of kind K has body K-i, tag TagA, keys key_K and the user property origin=K.
// produce: one Producer sends N messages of every kind named: normal; FIFO with message group
// g(i % groups); delay with a delivery timestamp delay_ms ahead; transactional, where i%3==0
// commits, 1 rolls back and 2 is left open for the checker, which commits it; it waits until the
// checker saw every open one and the server answered the EndTransaction that followed. receive:
// a SimpleConsumer receives and acks until N distinct bodies, then linger_ms more. invisible:
// one message m received for long_ms, its invisible duration changed to short_ms, not acked: it
// comes back early; received for short_ms and not acked: it comes back again; then acked: it
// stays gone. The SDK has no PushConsumer in this version.
//
// The SDK dials TLS only; tls=false (the default, like the Java driver's enableSsl(false)) dials
// plain text through its exported NewRpcClient hook (hookRpcClient).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
	"github.com/apache/rocketmq-clients/golang/v5/credentials"
	v2 "github.com/apache/rocketmq-clients/golang/v5/protocol/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	driverio "thrust/compat-tests/godriverio"
)

// The shared helpers under this driver's short names.
type args = driverio.Args

var (
	emit      = driverio.Emit
	fail      = driverio.Fail
	parseArgs = driverio.ParseArgs
)

// requestTimeout is every SDK call's timeout: the SDK's 3 s default is exceeded when scenarios
// share a loaded machine (the drivers of every client use 15 s).
const requestTimeout = 15 * time.Second

// consumerTimeout is a SimpleConsumer's: the SDK sends no long-polling timeout, so the server
// polls for what the call's deadline (await duration + this) leaves after half of this (Java's
// proxy rule). With 15 s each receive of an empty topic would take 9.5 s, and a receive over
// several topics, which picks one at random per call, could miss one for a minute.
const consumerTimeout = 8 * time.Second

func main() {
	if len(os.Args) < 2 {
		fail("usage: go5driver produce|receive|invisible key=value...")
	}
	// The SDK's log root defaults to $user.home/logs, an environment variable nobody sets.
	if os.Getenv("rocketmq.client.logRoot") == "" {
		home, _ := os.UserHomeDir()
		os.Setenv("rocketmq.client.logRoot", filepath.Join(home, "logs"))
	}
	rmq.ResetLogger()
	a := parseArgs(os.Args[2:])
	hookRpcClient(a.Str("tls", "false") != "true")
	var code int
	switch os.Args[1] {
	case "produce":
		code = produce(a)
	case "receive":
		code = receive(a)
	case "invisible":
		code = invisible(a)
	default:
		fail("unknown mode %q", os.Args[1])
	}
	// GracefulStop waits on the long polls in flight; everything is printed already.
	os.Exit(code)
}

// ended holds the message ids whose EndTransaction call the server answered OK.
var ended = struct {
	sync.Mutex
	ids map[string]bool
}{ids: map[string]bool{}}

// hookRpcClient dials every connection of the SDK through its exported NewRpcClient hook with an
// interceptor that records answered EndTransaction calls: the SDK ends a checked transaction in a
// goroutine of its own after the checker returns, so the producer may exit only once that call
// was answered. plain dials plain text: a later transport credential replaces the SDK's TLS one.
func hookRpcClient(plain bool) {
	dial := rmq.NewRpcClient
	record := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		r, isEnd := req.(*v2.EndTransactionRequest)
		resp, _ := reply.(*v2.EndTransactionResponse)
		if isEnd && err == nil && resp.GetStatus().GetCode() == v2.Code_OK {
			ended.Lock()
			ended.ids[r.GetMessageId()] = true
			ended.Unlock()
		}
		return err
	})
	rmq.NewRpcClient = func(target string, opts ...rmq.RpcClientOption) (rmq.RpcClient, error) {
		dialOpts := []grpc.DialOption{record}
		if plain {
			dialOpts = append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))
		}
		return dial(target, append(opts, rmq.WithRpcClientConnOption(rmq.WithDialOptions(dialOpts...)))...)
	}
}

func config(a args, group string) *rmq.Config {
	return &rmq.Config{
		Endpoint:      a.Need("ep"),
		ConsumerGroup: group,
		// The SDK signs every request; an empty key is what a server without auth ignores.
		Credentials: &credentials.SessionCredentials{},
	}
}

func newClient(c *rmq.Config, opts ...rmq.ClientOption) (rmq.Client, error) {
	return rmq.NewClient(c, append(opts, rmq.WithQueryRouteTimeout(requestTimeout))...)
}

func newConsumerClient(c *rmq.Config, opts ...rmq.ClientOption) (rmq.Client, error) {
	return rmq.NewClient(c, append(opts, rmq.WithQueryRouteTimeout(consumerTimeout))...)
}

func messageLine(m *rmq.MessageView) map[string]interface{} {
	props := map[string]string{}
	if origin, ok := m.GetProperties()["origin"]; ok {
		props["origin"] = origin
	}
	line := map[string]interface{}{"topic": m.GetTopic(), "body": string(m.GetBody()),
		"msgId": m.GetMessageId(), "keys": strings.Join(m.GetKeys(), " "), "props": props,
		"attempt": m.GetDeliveryAttempt(), "recvMs": time.Now().UnixMilli()}
	if tag := m.GetTag(); tag != nil {
		line["tags"] = *tag
	}
	if group := m.GetMessageGroup(); group != nil {
		line["group"] = *group
	}
	if at := m.GetDeliveryTimestamp(); at != nil {
		line["deliverAt"] = at.UnixMilli()
	}
	return line
}

func produce(a args) int {
	count := a.Num("count", 4)
	var kinds, topics []string
	for _, kind := range []string{"normal", "fifo", "delay", "tx"} {
		if t, ok := a[kind]; ok {
			kinds = append(kinds, kind)
			topics = append(topics, t)
		}
	}
	var mu sync.Mutex
	// The checked messages' bodies to their ids.
	checked := map[string]string{}
	opts := []rmq.ProducerOption{rmq.WithTopics(topics...), rmq.WithClientFunc(newClient)}
	if _, ok := a["tx"]; ok {
		opts = append(opts, rmq.WithTransactionChecker(&rmq.TransactionChecker{
			Check: func(m *rmq.MessageView) rmq.TransactionResolution {
				body := string(m.GetBody())
				mu.Lock()
				checked[body] = m.GetMessageId()
				mu.Unlock()
				emit(map[string]interface{}{"check": body, "msgId": m.GetMessageId()})
				return rmq.COMMIT
			},
		}))
	}
	p, err := rmq.NewProducer(config(a, ""), opts...)
	if err != nil {
		fail("new producer: %v", err)
	}
	if err := p.Start(); err != nil {
		fail("start producer: %v", err)
	}
	open := 0
	for k, kind := range kinds {
		for i := 0; i < count; i++ {
			body := fmt.Sprintf("%s-%d", kind, i)
			out := map[string]interface{}{"kind": kind, "body": body}
			m := &rmq.Message{Topic: topics[k], Body: []byte(body)}
			m.SetTag("TagA")
			m.SetKeys("key_" + kind)
			m.AddProperty("origin", kind)
			switch kind {
			case "fifo":
				group := fmt.Sprintf("g%d", i%a.Num("groups", 2))
				m.SetMessageGroup(group)
				out["group"] = group
			case "delay":
				at := time.Now().Add(a.Millis("delay_ms", 4000))
				m.SetDelayTimestamp(at)
				out["deliverAt"] = at.UnixMilli()
			}
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			var receipts []*rmq.SendReceipt
			if kind == "tx" {
				tx := p.BeginTransaction()
				receipts, err = p.SendWithTransaction(ctx, m, tx)
				if err == nil {
					switch i % 3 {
					case 0:
						err = tx.Commit()
						out["resolution"] = "COMMIT"
					case 1:
						err = tx.RollBack()
						out["resolution"] = "ROLLBACK"
					default:
						open++
						out["resolution"] = "UNKNOWN"
					}
				}
			} else {
				receipts, err = p.Send(ctx, m)
			}
			cancel()
			if err != nil {
				fail("send %s: %v", body, err)
			}
			if len(receipts) != 1 {
				fail("send %s: %d receipts", body, len(receipts))
			}
			out["status"] = "SEND_OK"
			out["msgId"] = receipts[0].MessageID
			emit(out)
		}
	}
	deadline := time.Now().Add(a.Millis("check_timeout_ms", 60000))
	// Checked and committed: the checker saw the message and the server answered the
	// EndTransaction that followed.
	seen := func() (checks, ends int) {
		mu.Lock()
		defer mu.Unlock()
		ended.Lock()
		defer ended.Unlock()
		for _, id := range checked {
			if ended.ids[id] {
				ends++
			}
		}
		return len(checked), ends
	}
	for _, e := seen(); e < open && time.Now().Before(deadline); _, e = seen() {
		time.Sleep(100 * time.Millisecond)
	}
	checks, ends := seen()
	emit(map[string]interface{}{"done": true, "open": open, "checked": checks, "ended": ends})
	if ends < open {
		return 2
	}
	return 0
}

func simple(a args, topics []string) rmq.SimpleConsumer {
	subs := map[string]*rmq.FilterExpression{}
	for _, t := range topics {
		subs[t] = rmq.SUB_ALL
	}
	c, err := rmq.NewSimpleConsumer(config(a, a.Need("group")),
		rmq.WithAwaitDuration(2*time.Second),
		rmq.WithSubscriptionExpressions(subs),
		rmq.WithClientFuncForSimpleConsumer(newConsumerClient))
	if err != nil {
		fail("new simple consumer: %v", err)
	}
	if err := c.Start(); err != nil {
		fail("start simple consumer: %v", err)
	}
	return c
}

// receiveSome is one Receive call; an empty queue (MESSAGE_NOT_FOUND) is no message, any other
// error goes to stderr and counts as none.
func receiveSome(c rmq.SimpleConsumer, max int32, invisible time.Duration) []*rmq.MessageView {
	ms, err := c.Receive(context.Background(), max, invisible)
	if err != nil {
		if status, ok := rmq.AsErrRpcStatus(err); !ok || status.Code != int32(v2.Code_MESSAGE_NOT_FOUND) {
			fmt.Fprintln(os.Stderr, "receive:", err)
			time.Sleep(200 * time.Millisecond)
		}
		return nil
	}
	return ms
}

func ack(c rmq.SimpleConsumer, m *rmq.MessageView) {
	if err := c.Ack(context.Background(), m); err != nil {
		emit(map[string]interface{}{"ackError": err.Error(), "msgId": m.GetMessageId()})
	}
}

func receive(a args) int {
	expect := a.Num("expect", 1)
	invisible := a.Millis("invisible_ms", 15000)
	c := simple(a, strings.Split(a.Need("topics"), ","))
	emit(map[string]interface{}{"ready": true})
	seen := map[string]bool{}
	deadline := time.Now().Add(a.Millis("timeout_ms", 60000))
	var lingerEnd time.Time
	for time.Now().Before(deadline) && (lingerEnd.IsZero() || time.Now().Before(lingerEnd)) {
		for _, m := range receiveSome(c, 16, invisible) {
			emit(messageLine(m))
			seen[string(m.GetBody())] = true
			ack(c, m)
		}
		if len(seen) >= expect && lingerEnd.IsZero() {
			lingerEnd = time.Now().Add(a.Millis("linger_ms", 2000))
		}
	}
	emit(map[string]interface{}{"done": true, "received": len(seen)})
	if len(seen) < expect {
		return 2
	}
	return 0
}

// await receives until target comes back (acking any other message), or nil at the deadline.
func await(c rmq.SimpleConsumer, target string, invisible time.Duration, deadline time.Time) *rmq.MessageView {
	for time.Now().Before(deadline) {
		for _, m := range receiveSome(c, 16, invisible) {
			if m.GetMessageId() == target {
				return m
			}
			line := messageLine(m)
			line["step"] = "other"
			emit(line)
			ack(c, m)
		}
	}
	return nil
}

func invisible(a args) int {
	longer, shorter := a.Millis("long_ms", 30000), a.Millis("short_ms", 2000)
	deadline := time.Now().Add(a.Millis("timeout_ms", 60000))
	c := simple(a, []string{a.Need("topic")})
	emit(map[string]interface{}{"ready": true})
	var m *rmq.MessageView
	for m == nil && time.Now().Before(deadline) {
		if got := receiveSome(c, 1, longer); len(got) > 0 {
			m = got[0]
		}
	}
	if m == nil {
		emit(map[string]interface{}{"error": "nothing received"})
		return 2
	}
	id := m.GetMessageId()
	line := messageLine(m)
	line["step"] = "received"
	emit(line)
	changed := time.Now()
	if err := c.ChangeInvisibleDuration(m, shorter); err != nil {
		emit(map[string]interface{}{"error": "changeInvisibleDuration: " + err.Error()})
		return 2
	}
	emit(map[string]interface{}{"step": "changed", "msgId": id})
	again := await(c, id, shorter, deadline)
	if again == nil {
		emit(map[string]interface{}{"error": "not redelivered after changeInvisibleDuration"})
		return 2
	}
	line = messageLine(again)
	line["step"] = "redelivered"
	line["afterMs"] = time.Since(changed).Milliseconds()
	emit(line)
	left := time.Now()
	third := await(c, id, shorter, deadline)
	if third == nil {
		emit(map[string]interface{}{"error": "not redelivered after its invisible time"})
		return 2
	}
	line = messageLine(third)
	line["step"] = "retried"
	line["afterMs"] = time.Since(left).Milliseconds()
	emit(line)
	if err := c.Ack(context.Background(), third); err != nil {
		emit(map[string]interface{}{"error": "ack: " + err.Error()})
		return 2
	}
	emit(map[string]interface{}{"step": "acked", "msgId": id})
	lingerEnd := time.Now().Add(3 * shorter)
	if lingerEnd.After(deadline) {
		lingerEnd = deadline
	}
	if late := await(c, id, shorter, lingerEnd); late != nil {
		line = messageLine(late)
		line["step"] = "after-ack"
		emit(line)
		return 2
	}
	emit(map[string]interface{}{"done": true})
	return 0
}
