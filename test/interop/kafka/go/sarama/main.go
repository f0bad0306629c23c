// IBM sarama (github.com/IBM/sarama) as an edge application uses it, behind the shared
// interop command line (package scenario). Config.Version is sarama's newest (MaxVersion):
// sarama then narrows each request to what the broker's ApiVersions answer allows, so the
// edge sees the newest versions sarama can send.
package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"tributary.test/interop/kafka/go/scenario"
)

// retriesMax bounds a message's retries (sarama's default is 3): the tests cut every
// connection several times in one stream, and each cut costs a retry.
const retriesMax = 100

type saramaClient struct{}

func (saramaClient) Features() scenario.Features {
	return scenario.Features{Client: "sarama", Version: scenario.ModuleVersion("github.com/IBM/sarama"), Codecs: scenario.Codecs, Idempotent: true, TLS: true, SASLPlain: true}
}

func baseConfig(options scenario.Options) (*sarama.Config, error) {
	config := sarama.NewConfig()
	config.Version = sarama.MaxVersion
	config.ClientID = "sarama-interop"
	tlsConfig, err := scenario.TLSConfig(options.TLSCAFile)
	if err != nil {
		return nil, err
	}
	if tlsConfig != nil {
		config.Net.TLS.Enable = true
		config.Net.TLS.Config = tlsConfig
	}
	if options.SASLUsername != "" {
		// sarama's SCRAM needs a SCRAM client from another module; only PLAIN is driven here.
		if options.SASLMechanism != "PLAIN" {
			return nil, fmt.Errorf("SASL %s is not wired into this program", options.SASLMechanism)
		}
		config.Net.SASL.Enable = true
		config.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		config.Net.SASL.User = options.SASLUsername
		config.Net.SASL.Password = options.SASLPassword
	}
	return config, nil
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func (saramaClient) Produce(ctx context.Context, options scenario.Options, records []scenario.Record, acknowledged func()) error {
	config, err := baseConfig(options)
	if err != nil {
		return err
	}
	codec, ok := codecs[options.Compression]
	if !ok {
		return fmt.Errorf("--compression %q: not one of %v", options.Compression, scenario.Codecs)
	}
	config.Producer.Compression = codec
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Return.Successes = true
	config.Producer.Retry.Backoff = scenario.RetryBackoff
	config.Producer.Retry.Max = retriesMax
	if options.Idempotent {
		// sarama's idempotent producer requires one request in flight per connection.
		config.Producer.Idempotent = true
		config.Net.MaxOpenRequests = 1
	}
	if options.BatchMessages > 0 {
		config.Producer.Flush.MaxMessages = options.BatchMessages
	}
	if len(records) > 0 && records[0].Partition != nil {
		config.Producer.Partitioner = sarama.NewManualPartitioner
	}
	producer, err := sarama.NewAsyncProducer(options.Bootstrap, config)
	if err != nil {
		return err
	}
	var failures []error
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		defer done.Done()
		for answered := 0; answered < len(records); answered++ {
			select {
			case <-producer.Successes():
				acknowledged()
			case failure := <-producer.Errors():
				failures = append(failures, failure.Err)
			}
		}
	}()
	for _, record := range records {
		message := &sarama.ProducerMessage{Topic: options.Topic, Value: sarama.StringEncoder(record.Value)}
		if record.Key != nil {
			message.Key = sarama.StringEncoder(*record.Key)
		}
		if record.Partition != nil {
			message.Partition = *record.Partition
		}
		for key, value := range record.Headers {
			message.Headers = append(message.Headers, sarama.RecordHeader{Key: []byte(key), Value: []byte(value)})
		}
		producer.Input() <- message
	}
	done.Wait()
	if err := producer.Close(); err != nil && len(failures) == 0 {
		return err
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d records not delivered, first: %w", len(failures), failures[0])
	}
	return nil
}

func groupConfig(options scenario.Options) (*sarama.Config, error) {
	config, err := baseConfig(options)
	if err != nil {
		return nil, err
	}
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	config.Consumer.Group.Session.Timeout = time.Duration(options.SessionTimeoutMs) * time.Millisecond
	config.Consumer.Group.Heartbeat.Interval = scenario.HeartbeatInterval
	config.Consumer.MaxWaitTime = scenario.FetchMaxWait
	config.Consumer.Offsets.AutoCommit.Interval = scenario.AutoCommitInterval
	return config, nil
}

func emitMessage(message *sarama.ConsumerMessage) {
	headers := map[string]string{}
	for _, header := range message.Headers {
		headers[string(header.Key)] = string(header.Value)
	}
	scenario.EmitRecord(message.Partition, message.Offset, message.Key, message.Value, headers)
}

// member prints its assignment at every session's start and end, and every record.
type member struct{ topic string }

func (m member) Setup(session sarama.ConsumerGroupSession) error {
	scenario.EmitAssigned(session.Claims()[m.topic])
	return nil
}

func (m member) Cleanup(sarama.ConsumerGroupSession) error {
	scenario.EmitAssigned(nil)
	return nil
}

func (m member) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for message := range claim.Messages() {
		emitMessage(message)
		session.MarkMessage(message, "")
	}
	return nil
}

func (saramaClient) Member(ctx context.Context, options scenario.Options) error {
	config, err := groupConfig(options)
	if err != nil {
		return err
	}
	group, err := sarama.NewConsumerGroup(options.Bootstrap, options.Group, config)
	if err != nil {
		return err
	}
	defer group.Close()
	for ctx.Err() == nil {
		if err := group.Consume(ctx, []string{options.Topic}, member{topic: options.Topic}); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// drainer reads each claimed partition from its committed offset to the end offset taken
// when the session began, then ends the session and commits in Cleanup.
type drainer struct {
	topic  string
	client sarama.Client
	stop   context.CancelFunc
	lock   sync.Mutex
	left   int
}

func (d *drainer) Setup(session sarama.ConsumerGroupSession) error {
	d.lock.Lock()
	defer d.lock.Unlock()
	d.left = len(session.Claims()[d.topic])
	return nil
}

func (d *drainer) Cleanup(session sarama.ConsumerGroupSession) error {
	session.Commit()
	return nil
}

func (d *drainer) finished() {
	d.lock.Lock()
	defer d.lock.Unlock()
	d.left--
	if d.left == 0 {
		d.stop()
	}
}

func (d *drainer) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	end, err := d.client.GetOffset(d.topic, claim.Partition(), sarama.OffsetNewest)
	if err != nil {
		return err
	}
	if claim.InitialOffset() >= end {
		d.finished()
		return nil
	}
	for message := range claim.Messages() {
		emitMessage(message)
		session.MarkMessage(message, "")
		if message.Offset+1 >= end {
			d.finished()
			return nil
		}
	}
	return nil
}

func (saramaClient) Drain(ctx context.Context, options scenario.Options) error {
	config, err := groupConfig(options)
	if err != nil {
		return err
	}
	config.Consumer.Offsets.AutoCommit.Enable = false
	client, err := sarama.NewClient(options.Bootstrap, config)
	if err != nil {
		return err
	}
	defer client.Close()
	group, err := sarama.NewConsumerGroupFromClient(options.Group, client)
	if err != nil {
		return err
	}
	sessionContext, stop := context.WithCancel(ctx)
	defer stop()
	handler := &drainer{topic: options.Topic, client: client, stop: stop}
	for sessionContext.Err() == nil {
		if err := group.Consume(sessionContext, []string{options.Topic}, handler); err != nil && sessionContext.Err() == nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Close leaves the group, after the commit made in Cleanup.
	return group.Close()
}

func main() {
	scenario.Main(saramaClient{})
}
