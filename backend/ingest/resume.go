package ingest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Reading a workbook twice costs twice its inflating and tokenizing: the
// importer reads the first rows of a file for its mapping step's value
// suggestions and then every row to stage them. Record and Suspend let
// the second reading start where the first stopped: the rows the first
// reading returned are written to a spill file as they are read, and the
// worksheet stream is kept open; Resume gives a new Reader that replays
// the spilled rows and then continues the stream. Only XLSX readers are
// recorded (text formats parse faster than a spill file is read back).

// Record starts writing every row this Reader returns to a spill file in
// dir. It must be called before the first Next; it reports false (and
// records nothing) for anything but an XLSX worksheet.
func (r *Reader) Record(dir string) (bool, error) {
	s, ok := r.src.(*xlsxStream)
	if !ok || r.row > 0 || r.err != nil {
		return false, nil
	}
	f, err := os.CreateTemp(dir, "rows-*.spill")
	if err != nil {
		return false, fmt.Errorf("ingest: spill file: %w", err)
	}
	limit := spillSlack
	if s.tok != nil {
		limit += s.tok.declared
	}
	r.src = &recordSource{xlsxStream: s, f: f, w: bufio.NewWriterSize(f, 256<<10), limit: limit}
	return true, nil
}

// spillSlack bounds a spill file together with the worksheet's inflated
// size: cells take less room than their XML, but shared strings are
// written out at each use, and a small workbook could otherwise fill the
// disk with one long string used on every row. Past the bound recording
// stops and Suspend fails (the rows are then read again instead).
var spillSlack int64 = 64 << 20

var errSpillTooLarge = errors.New("the rows read so far are larger than the worksheet; not kept")

// recordSource writes each row of the stream to the spill file: the cell
// count, then each cell as its length and bytes (uvarints).
type recordSource struct {
	*xlsxStream
	f     *os.File
	w     *bufio.Writer
	rows  int
	n     int64 // bytes written
	limit int64
	num   [binary.MaxVarintLen64]byte
	werr  error
}

func (s *recordSource) next() ([]string, error) {
	row, err := s.xlsxStream.next()
	if err != nil || s.werr != nil {
		return row, err
	}
	s.uvarint(uint64(len(row)))
	for _, c := range row {
		s.uvarint(uint64(len(c)))
		if _, err := s.w.WriteString(c); err != nil {
			s.werr = err
		}
		s.n += int64(len(c)) + 2
	}
	s.rows++
	if s.n > s.limit && s.werr == nil {
		s.werr = errSpillTooLarge
		s.f.Truncate(0) // give the room back at once
	}
	return row, nil
}

func (s *recordSource) uvarint(v uint64) {
	n := binary.PutUvarint(s.num[:], v)
	if _, err := s.w.Write(s.num[:n]); err != nil {
		s.werr = err
	}
}

func (s *recordSource) close() error {
	err := s.xlsxStream.close()
	s.f.Close()
	os.Remove(s.f.Name())
	return err
}

// Suspended is a recorded Reader stopped after its last row: the spill
// file of the rows it returned and the worksheet stream positioned after
// them. Resume it once, or Close it.
type Suspended struct {
	stream *xlsxStream
	f      *os.File
	rows   int
	eof    bool // the stream had ended
	det    Detected
	size   int64
	max    int
	done   bool
}

// Suspend stops a recording Reader (see Record) and returns what Resume
// needs; the Reader is closed and must not be used again. It fails when
// the Reader was not recording or hit an error other than the end.
func (r *Reader) Suspend() (*Suspended, error) {
	rs, ok := r.src.(*recordSource)
	if !ok {
		return nil, errors.New("ingest: the reader is not recording")
	}
	eof := errors.Is(r.err, io.EOF)
	if r.err != nil && !eof {
		return nil, fmt.Errorf("ingest: suspend after an error: %w", r.err)
	}
	if rs.werr == nil {
		rs.werr = rs.w.Flush()
	}
	if rs.werr != nil {
		return nil, fmt.Errorf("ingest: spill file: %w", rs.werr)
	}
	if _, err := rs.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("ingest: spill file: %w", err)
	}
	sus := &Suspended{stream: rs.xlsxStream, f: rs.f, rows: rs.rows, eof: eof, det: r.det, size: r.sizeKnown, max: r.maxCols}
	r.src, r.closers = nil, nil // now owned by sus
	r.err = errors.New("ingest: reader is suspended")
	return sus, nil
}

// Rows is how many rows the spill file holds.
func (s *Suspended) Rows() int { return s.rows }

// Resume returns a Reader of the same worksheet from its first row: the
// spilled rows, then the rest of the stream. It reads exactly what a new
// Reader of the file would.
func (s *Suspended) Resume() (*Reader, error) {
	if s.done {
		return nil, errors.New("ingest: suspended reader already resumed or closed")
	}
	s.done = true
	rd := &Reader{det: s.det, sizeKnown: s.size, shortOK: true, maxCols: s.max}
	s.stream.rd = rd
	rs := &replaySource{xlsxStream: s.stream, f: s.f, r: bufio.NewReaderSize(s.f, 256<<10), left: s.rows}
	rd.src = rs
	return rd, nil
}

// Close releases the stream and removes the spill file (unless resumed).
func (s *Suspended) Close() error {
	if s.done {
		return nil
	}
	s.done = true
	err := s.stream.close()
	s.f.Close()
	os.Remove(s.f.Name())
	return err
}

// replaySource returns the spilled rows, then the stream's.
type replaySource struct {
	*xlsxStream
	f    *os.File
	r    *bufio.Reader
	left int
	buf  []byte
	ends []int
}

func (s *replaySource) next() ([]string, error) {
	if s.left == 0 {
		if s.f != nil {
			s.f.Close()
			os.Remove(s.f.Name())
			s.f = nil
		}
		return s.xlsxStream.next()
	}
	n, err := binary.ReadUvarint(s.r)
	if err != nil {
		return nil, s.broken(err)
	}
	if n > uint64(max(s.maxCols, 1)) {
		return nil, s.broken(errors.New("bad cell count"))
	}
	// one string per row, cut into cells (as the stream's rows are)
	s.ends = s.ends[:0]
	s.buf = s.buf[:0]
	for range n {
		l, err := binary.ReadUvarint(s.r)
		if err != nil {
			return nil, s.broken(err)
		}
		if l > uint64(s.maxField) {
			return nil, s.broken(errors.New("bad cell length"))
		}
		at := len(s.buf)
		s.buf = append(s.buf, make([]byte, l)...)
		if _, err := io.ReadFull(s.r, s.buf[at:]); err != nil {
			return nil, s.broken(err)
		}
		s.ends = append(s.ends, len(s.buf))
	}
	text := string(s.buf)
	row := make([]string, n)
	at := 0
	for i, e := range s.ends {
		row[i], at = text[at:e], e
	}
	s.left--
	return row, nil
}

func (s *replaySource) broken(err error) error {
	return fmt.Errorf("ingest: spill file of the rows already read: %w", err)
}

func (s *replaySource) close() error {
	err := s.xlsxStream.close()
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
	return err
}
