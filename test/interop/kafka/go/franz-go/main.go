// franz-go (github.com/twmb/franz-go) as an edge application uses it, behind the shared
// interop command line (package scenario). franz-go 1.19-1.21 switched to the KIP-848
// consumer protocol by themselves when a broker advertised ConsumerGroupHeartbeat; from
// 1.22 that is opt-in, and this program keeps the classic protocol either way.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"tributary.test/interop/kafka/go/scenario"
)

// drainPollTimeout bounds one poll of drain, which must notice that it is at the end.
const drainPollTimeout = 200 * time.Millisecond

// pingTimeout bounds the connection check before producing.
const pingTimeout = 15 * time.Second

// recordBytesEstimate turns --batch-messages into franz-go's batch limit, which is in bytes.
const recordBytesEstimate = 64

type franz struct{}

func (franz) Features() scenario.Features {
	return scenario.Features{Client: "franz-go", Version: scenario.ModuleVersion("github.com/twmb/franz-go"), Codecs: scenario.Codecs, Idempotent: true, TLS: true, SASLPlain: true}
}

func connection(options scenario.Options) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(options.Bootstrap...), kgo.ClientID("franz-go-interop"),
		// Warnings and errors (a refused login, a lost connection) on standard error.
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, nil))}
	tlsConfig, err := scenario.TLSConfig(options.TLSCAFile)
	if err != nil {
		return nil, err
	}
	if tlsConfig != nil {
		opts = append(opts, kgo.DialTLSConfig(tlsConfig))
	}
	if options.SASLUsername != "" {
		scramAuth := scram.Auth{User: options.SASLUsername, Pass: options.SASLPassword}
		switch options.SASLMechanism {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: options.SASLUsername, Pass: options.SASLPassword}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scramAuth.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scramAuth.AsSha512Mechanism()))
		default:
			return nil, fmt.Errorf("unknown SASL mechanism %q", options.SASLMechanism)
		}
	}
	return opts, nil
}

func compression(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("--compression %q: not one of %v", name, scenario.Codecs)
}

func (franz) Produce(ctx context.Context, options scenario.Options, records []scenario.Record, acknowledged func()) error {
	opts, err := connection(options)
	if err != nil {
		return err
	}
	codec, err := compression(options.Compression)
	if err != nil {
		return err
	}
	opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(codec),
		kgo.RetryBackoffFn(func(int) time.Duration { return scenario.RetryBackoff }))
	if !options.Idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if options.BatchMessages > 0 {
		// Small batches make a stream take many Produce requests, several in flight at once.
		opts = append(opts, kgo.ProducerBatchMaxBytes(int32(options.BatchMessages*recordBytesEstimate)), kgo.ProducerLinger(0))
	}
	if len(records) > 0 && records[0].Partition != nil {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer client.Close()
	// franz-go retries a refused login with every request, so a producer would wait out its
	// delivery timeout; an application checks the connection first, as this one does.
	pingContext, cancel := context.WithTimeout(ctx, pingTimeout)
	err = client.Ping(pingContext)
	cancel()
	if err != nil {
		return fmt.Errorf("no broker answered: %w", err)
	}
	var failures []error
	var failuresLock sync.Mutex
	for _, record := range records {
		produced := &kgo.Record{Topic: options.Topic, Value: []byte(record.Value)}
		if record.Key != nil {
			produced.Key = []byte(*record.Key)
		}
		if record.Partition != nil {
			produced.Partition = *record.Partition
		}
		for key, value := range record.Headers {
			produced.Headers = append(produced.Headers, kgo.RecordHeader{Key: key, Value: []byte(value)})
		}
		client.Produce(ctx, produced, func(_ *kgo.Record, err error) {
			if err != nil {
				failuresLock.Lock()
				failures = append(failures, err)
				failuresLock.Unlock()
				return
			}
			acknowledged()
		})
	}
	if err := client.Flush(ctx); err != nil {
		return err
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d records not delivered, first: %w", len(failures), failures[0])
	}
	return nil
}

// groupClient is a consumer in options.Group reading options.Topic from the start.
func groupClient(options scenario.Options, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := connection(options)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.ConsumerGroup(options.Group), kgo.ConsumeTopics(options.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.SessionTimeout(time.Duration(options.SessionTimeoutMs)*time.Millisecond),
		kgo.HeartbeatInterval(scenario.HeartbeatInterval), kgo.FetchMaxWait(scenario.FetchMaxWait))
	return kgo.NewClient(append(opts, extra...)...)
}

func emitRecord(record *kgo.Record) {
	headers := map[string]string{}
	for _, header := range record.Headers {
		headers[header.Key] = string(header.Value)
	}
	scenario.EmitRecord(record.Partition, record.Offset, record.Key, record.Value, headers)
}

// assignment follows the cooperative-sticky balancer (franz-go's default), which reports
// partitions added and removed rather than the whole assignment.
type assignment struct {
	lock       sync.Mutex
	partitions map[int32]bool
}

func (a *assignment) change(partitions map[string][]int32, held bool) {
	a.lock.Lock()
	defer a.lock.Unlock()
	for _, list := range partitions {
		for _, partition := range list {
			if held {
				a.partitions[partition] = true
			} else {
				delete(a.partitions, partition)
			}
		}
	}
	current := []int32{}
	for partition := range a.partitions {
		current = append(current, partition)
	}
	scenario.EmitAssigned(current)
}

func (a *assignment) held() map[int32]bool {
	a.lock.Lock()
	defer a.lock.Unlock()
	copied := map[int32]bool{}
	for partition := range a.partitions {
		copied[partition] = true
	}
	return copied
}

func newAssignment() (*assignment, []kgo.Opt) {
	a := &assignment{partitions: map[int32]bool{}}
	return a, []kgo.Opt{
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, added map[string][]int32) { a.change(added, true) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, revoked map[string][]int32) { a.change(revoked, false) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) { a.change(lost, false) }),
	}
}

func (franz) Member(ctx context.Context, options scenario.Options) error {
	_, callbacks := newAssignment()
	client, err := groupClient(options, append(callbacks, kgo.AutoCommitInterval(scenario.AutoCommitInterval))...)
	if err != nil {
		return err
	}
	defer client.Close()
	for ctx.Err() == nil {
		fetches := client.PollFetches(ctx)
		fetches.EachError(func(topic string, partition int32, err error) {
			fmt.Fprintf(os.Stderr, "fetch %s-%d: %v\n", topic, partition, err)
		})
		fetches.EachRecord(emitRecord)
	}
	return nil
}

func (franz) Drain(ctx context.Context, options scenario.Options) error {
	held, callbacks := newAssignment()
	client, err := groupClient(options, append(callbacks, kgo.DisableAutoCommit())...)
	if err != nil {
		return err
	}
	defer client.Close()
	admin := kadm.NewClient(client)
	ends, err := admin.ListEndOffsets(ctx, options.Topic)
	if err != nil {
		return fmt.Errorf("end offsets of %s: %w", options.Topic, err)
	}
	committed, err := admin.FetchOffsets(ctx, options.Group)
	if err != nil {
		return fmt.Errorf("committed offsets of %s: %w", options.Group, err)
	}
	// The next offset to read, per partition: the committed one until a record is read.
	next := map[int32]int64{}
	committed.Each(func(offset kadm.OffsetResponse) {
		if offset.Topic == options.Topic && offset.Err == nil {
			next[offset.Partition] = offset.At
		}
	})
	atEnd := func() bool {
		partitions := held.held()
		if len(partitions) == 0 {
			return false
		}
		for partition := range partitions {
			end, ok := ends.Lookup(options.Topic, partition)
			if !ok || end.Err != nil || next[partition] < end.Offset {
				return false
			}
		}
		return true
	}
	for !atEnd() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A bounded poll: with every partition already at its end no record ever comes.
		pollContext, cancel := context.WithTimeout(ctx, drainPollTimeout)
		fetches := client.PollFetches(pollContext)
		cancel()
		for _, fetchError := range fetches.Errors() {
			if !errors.Is(fetchError.Err, context.DeadlineExceeded) {
				return fmt.Errorf("fetch %s-%d: %w", fetchError.Topic, fetchError.Partition, fetchError.Err)
			}
		}
		fetches.EachRecord(func(record *kgo.Record) {
			emitRecord(record)
			next[record.Partition] = record.Offset + 1
		})
	}
	if err := client.CommitUncommittedOffsets(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func main() {
	scenario.Main(franz{})
}
