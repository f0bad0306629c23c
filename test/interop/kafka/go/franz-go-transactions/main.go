// franz-go's GroupTransactSession (github.com/twmb/franz-go/pkg/kgo), the exactly-once
// consume-transform-produce loop of a Go application: records of IN are read read_committed
// in group GROUP, upper-cased into OUT, and their offsets committed in the same transaction.
// The first transaction is aborted on purpose, so that the session rewinds to the committed
// offsets and transforms those records again in a later one.
//
// Usage: franz-go-transactions BOOTSTRAP IN OUT GROUP TRANSACTIONAL_ID COUNT
// Exits once COUNT records were committed; one JSON line per ended transaction on stdout.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// runTimeout bounds the whole run on a loaded machine.
const runTimeout = 90 * time.Second

func main() {
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: franz-go-transactions BOOTSTRAP IN OUT GROUP TRANSACTIONAL_ID COUNT")
		os.Exit(2)
	}
	bootstrap, in, out, group, transactionalID := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	count, err := strconv.Atoi(os.Args[6])
	if err != nil {
		fail(err)
	}
	session, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(bootstrap),
		kgo.TransactionalID(transactionalID),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DefaultProduceTopic(out),
		// The output topic is created on first use, as the broker's auto-creation allows.
		kgo.AllowAutoTopicCreation(),
		kgo.SessionTimeout(6*time.Second),
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, nil)),
	)
	if err != nil {
		fail(err)
	}
	defer session.Close()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	committed, transactions := 0, 0
	for committed < count {
		fetches := session.PollFetches(ctx)
		if ctx.Err() != nil {
			fail(fmt.Errorf("only %d of %d records committed before the timeout", committed, count))
		}
		fetches.EachError(func(topic string, partition int32, err error) { fail(fmt.Errorf("fetch %s/%d: %w", topic, partition, err)) })
		records := fetches.Records()
		if len(records) == 0 {
			continue
		}
		if err := session.Begin(); err != nil {
			fail(err)
		}
		for _, record := range records {
			session.Produce(ctx, &kgo.Record{Key: record.Key, Value: bytes.ToUpper(record.Value)}, func(_ *kgo.Record, err error) {
				if err != nil {
					fmt.Fprintln(os.Stderr, "produce:", err)
				}
			})
		}
		// The first transaction is aborted on purpose: its records must come again.
		commit := kgo.TryCommit
		if transactions == 0 {
			commit = kgo.TryAbort
		}
		ok, err := session.End(ctx, commit)
		if err != nil {
			fail(err)
		}
		transactions++
		if ok && commit == kgo.TryCommit {
			committed += len(records)
		}
		line, _ := json.Marshal(map[string]any{"transaction": transactions, "records": len(records), "committed": ok && commit == kgo.TryCommit})
		fmt.Println(string(line))
	}
	line, _ := json.Marshal(map[string]any{"done": committed, "transactions": transactions})
	fmt.Println(string(line))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
