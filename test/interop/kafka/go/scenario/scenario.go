// Package scenario is the command line every interop client program shares, so that one
// TypeScript test drives franz-go and sarama alike (and the Python scripts speak the same):
//
//	PROGRAM features                      what this client can do, as one JSON line
//	PROGRAM produce --topic T [...]       JSON-line records from standard input, every one acknowledged
//	PROGRAM member --group G --topic T    stay in a consumer group, print events until killed
//	PROGRAM drain --group G --topic T     read from the committed offsets to the end, commit, leave
//
// Events are JSON lines on standard output:
//
//	{"event":"acknowledged","count":12}
//	{"event":"assigned","partitions":[0,3]}
//	{"event":"record","partition":0,"offset":"5","key":"k","value":"v","headers":{"h":"x"}}
package scenario

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Codecs are the compression names the tests use, as Kafka names them.
var Codecs = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// HeartbeatInterval is well inside the session timeout, so only a dead member expires.
const HeartbeatInterval = 500 * time.Millisecond

// FetchMaxWait is short, so that the end of the log is noticed quickly.
const FetchMaxWait = 100 * time.Millisecond

// AutoCommitInterval is how often a member commits what it consumed; short, so that a
// killed member leaves little to read again.
const AutoCommitInterval = 200 * time.Millisecond

// RetryBackoff is the wait before a producer retries; short, as the tests cut connections
// on purpose and the broker is back at once.
const RetryBackoff = 50 * time.Millisecond

// RecordLineBytesMax bounds one JSON line read from standard input; test records are small.
const RecordLineBytesMax = 1 << 20

// Options are the flags of every subcommand.
type Options struct {
	Bootstrap        []string
	Topic            string
	Group            string
	Compression      string
	Idempotent       bool
	BatchMessages    int
	SessionTimeoutMs int
	TLSCAFile        string
	SASLUsername     string
	SASLPassword     string
	SASLMechanism    string
}

// Record is one record to produce, as the tests write it on standard input.
type Record struct {
	Key       *string           `json:"key"`
	Value     string            `json:"value"`
	Headers   map[string]string `json:"headers"`
	Partition *int32            `json:"partition"`
}

// Features tells the test what the client is and what it can do.
type Features struct {
	Client     string   `json:"client"`
	Version    string   `json:"version"`
	Codecs     []string `json:"codecs"`
	Idempotent bool     `json:"idempotent"`
	TLS        bool     `json:"tls"`
	SASLPlain  bool     `json:"saslPlain"`
}

// Client is what each program implements with its library.
type Client interface {
	Features() Features
	// Produce sends every record and returns once each is acknowledged; acknowledged is
	// called once per acknowledged record.
	Produce(ctx context.Context, options Options, records []Record, acknowledged func()) error
	// Member joins the group and reports assignments and records until ctx ends.
	Member(ctx context.Context, options Options) error
	// Drain reads every assigned partition from its committed offset to its end, commits and leaves.
	Drain(ctx context.Context, options Options) error
}

var emitLock sync.Mutex

// Emit writes one event line; safe from any goroutine.
func Emit(event any) {
	line, err := json.Marshal(event)
	if err != nil {
		panic(err)
	}
	emitLock.Lock()
	defer emitLock.Unlock()
	os.Stdout.Write(append(line, '\n'))
}

// EmitAssigned reports the whole current assignment of a member.
func EmitAssigned(partitions []int32) {
	sorted := append([]int32{}, partitions...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	Emit(map[string]any{"event": "assigned", "partitions": sorted})
}

// EmitRecord reports one consumed record.
func EmitRecord(partition int32, offset int64, key, value []byte, headers map[string]string) {
	event := map[string]any{"event": "record", "partition": partition, "offset": fmt.Sprint(offset), "headers": headers, "key": nil, "value": nil}
	if key != nil {
		event["key"] = string(key)
	}
	if value != nil {
		event["value"] = string(value)
	}
	Emit(event)
}

// ModuleVersion is the version of a module linked into this program, from its build information.
func ModuleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, module := range info.Deps {
		if module.Path == path {
			if module.Replace != nil {
				return module.Replace.Version
			}
			return module.Version
		}
	}
	return "unknown"
}

// TLSConfig trusts the certificate authorities in caFile; nil when no file is given.
func TLSConfig(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in the file", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

func readRecords() ([]Record, error) {
	var records []Record
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 64*1024), RecordLineBytesMax)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" {
			continue
		}
		var record Record
		if err := json.Unmarshal([]byte(text), &record); err != nil {
			return nil, fmt.Errorf("standard input line %d: %w", line, err)
		}
		records = append(records, record)
	}
	return records, scanner.Err()
}

// Main parses the command line, runs the subcommand with the client and exits.
func Main(client Client) {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: %s features|produce|member|drain [flags]", os.Args[0]))
	}
	command := os.Args[1]
	flags := flag.NewFlagSet(command, flag.ExitOnError)
	var options Options
	bootstrap := flags.String("bootstrap", "127.0.0.1:9092", "brokers, HOST:PORT[,HOST:PORT]")
	flags.StringVar(&options.Topic, "topic", "", "topic")
	flags.StringVar(&options.Group, "group", "", "consumer group")
	flags.StringVar(&options.Compression, "compression", "none", "none, gzip, snappy, lz4 or zstd")
	flags.BoolVar(&options.Idempotent, "idempotent", false, "idempotent producer")
	flags.IntVar(&options.BatchMessages, "batch-messages", 0, "records per batch at most (small batches make many requests)")
	flags.IntVar(&options.SessionTimeoutMs, "session-timeout-ms", 10000, "consumer group session timeout")
	flags.StringVar(&options.TLSCAFile, "tls-ca", "", "connect over TLS, trusting the CA certificates in this PEM file")
	flags.StringVar(&options.SASLUsername, "sasl-username", "", "authenticate with SASL as this user")
	flags.StringVar(&options.SASLPassword, "sasl-password", "", "password for SASL")
	flags.StringVar(&options.SASLMechanism, "sasl-mechanism", "PLAIN", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (the programs that know SCRAM)")
	if err := flags.Parse(os.Args[2:]); err != nil {
		fail(err)
	}
	options.Bootstrap = strings.Split(*bootstrap, ",")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var err error
	switch command {
	case "features":
		Emit(client.Features())
	case "produce":
		var records []Record
		if records, err = readRecords(); err == nil {
			count := 0
			var countLock sync.Mutex
			err = client.Produce(ctx, options, records, func() {
				countLock.Lock()
				count++
				current := count
				countLock.Unlock()
				Emit(map[string]any{"event": "acknowledged", "count": current})
			})
		}
	case "member":
		err = client.Member(ctx, options)
	case "drain":
		err = client.Drain(ctx, options)
	default:
		err = fmt.Errorf("unknown subcommand %q (features, produce, member, drain)", command)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[0], err)
	os.Exit(1)
}
