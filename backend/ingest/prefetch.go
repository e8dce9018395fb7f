package ingest

import (
	"errors"
	"sync"
)

var errClosed = errors.New("ingest: reader is closed")

// Prefetch makes an XLSX Reader tokenize its worksheet on a goroutine of
// its own, a few batches of rows ahead of Next, so that reading the
// workbook and the caller's work on each row (validating, staging) run on
// two cores; inflating already runs on a third goroutine (readAhead).
// Text formats are left as they are. Call it before reading on; Next,
// Row, Line and errors are the same as without it, and Close stops the
// goroutine.
func (r *Reader) Prefetch() {
	switch r.src.(type) {
	case *xlsxStream, *replaySource:
	default:
		return
	}
	if r.err != nil {
		return
	}
	p := &prefetchSource{inner: r.src, full: make(chan rowBatch, prefetchBatches), free: make(chan [][]string, prefetchBatches+1), stop: make(chan struct{})}
	for range prefetchBatches + 1 {
		p.free <- make([][]string, 0, prefetchRows)
	}
	p.wg.Add(1)
	go p.run()
	r.src = p
}

const (
	prefetchRows    = 256 // rows per batch
	prefetchBatches = 4   // batches read ahead
)

// rowBatch is up to prefetchRows rows, then the error that ended the
// reading (io.EOF at the end), if any.
type rowBatch struct {
	rows [][]string
	err  error
}

type prefetchSource struct {
	inner source
	full  chan rowBatch
	free  chan [][]string
	stop  chan struct{}
	wg    sync.WaitGroup

	cur    [][]string
	at     int
	err    error
	closed bool
}

func (p *prefetchSource) run() {
	defer p.wg.Done()
	defer close(p.full)
	for {
		var rows [][]string
		select {
		case rows = <-p.free:
		case <-p.stop:
			return
		}
		rows = rows[:0]
		var err error
		for len(rows) < prefetchRows {
			var row []string
			row, err = p.inner.next()
			if err != nil {
				break
			}
			rows = append(rows, row) // the stream's rows are not reused
		}
		select {
		case p.full <- rowBatch{rows, err}:
		case <-p.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (p *prefetchSource) next() ([]string, error) {
	for p.at >= len(p.cur) {
		if p.err != nil {
			return nil, p.err
		}
		if p.cur != nil {
			clear(p.cur)
			p.free <- p.cur[:0]
			p.cur = nil
		}
		b, ok := <-p.full
		if !ok {
			return nil, errClosed
		}
		p.cur, p.at, p.err = b.rows, 0, b.err
	}
	row := p.cur[p.at]
	p.at++
	return row, nil
}

// line is the consumer's (the Reader's row for XLSX), read on its goroutine.
func (p *prefetchSource) line() int { return p.inner.line() }

func (p *prefetchSource) close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.stop)
	p.wg.Wait() // the goroutine is done with inner
	return p.inner.close()
}
