package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// queueStats summarises the hash queue's depth (hashes running or waiting,
// the gqlauth_hash_queue_depth gauge) as sampled during a storm.
type queueStats struct {
	samples  int // successful scrapes
	full     int // scrapes that found the queue at capacity
	capacity int // HASH_QUEUE_SIZE
}

func (q queueStats) fullShare() float64 {
	if q.samples == 0 {
		return 0
	}
	return float64(q.full) / float64(q.samples)
}

// watchQueue returns a runWatching watch that scrapes the product's
// /metrics every 100 ms while the measured window is open, into q. The
// storm target is only meaningful while the queue is full, so the report
// says how often it was.
func (l *loader) watchQueue(q *queueStats) func() (stop func()) {
	return func() func() {
		return every(100*time.Millisecond, func() {
			if depth, ok := l.queueDepth(); ok {
				q.samples++
				if depth >= q.capacity {
					q.full++
				}
			}
		})
	}
}

// queueDepth reads gqlauth_hash_queue_depth from /metrics.
func (l *loader) queueDepth() (int, bool) {
	req, err := http.NewRequest(http.MethodGet, l.product+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	req.Header.Set("Authorization", "Bearer "+l.metricsToken)
	resp, err := l.hc.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "gqlauth_hash_queue_depth ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return int(f), err == nil
	}
	return 0, false
}
