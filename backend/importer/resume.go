package importer

import (
	"context"
	"sync"
	"time"

	"fusebox/backend/ingest"
)

// The mapping step reads the first rows of the file for its value
// suggestions (valueSuggestions); staging then reads every row. For a
// workbook, where reading is inflating and tokenizing XML, the scan
// records its rows to a spill file in the import's upload directory and
// parks the open reader here; staging resumes it (the spilled rows, then
// the rest of the worksheet) instead of reading those rows again. A
// parked reader is dropped when the file or its options change, when the
// mapping step scans again, and after parkTTL.

// parkTTL is how long a parked reader waits for the staging that resumes it.
const parkTTL = 10 * time.Minute

// maxParked bounds the readers parked at once (each holds the workbook
// open and a spill file).
const maxParked = 8

// parkKey is what the reader was opened on: a reader is resumed only for
// the same stored file read with the same options.
type parkKey struct {
	path, sha string
	size      int64
	opts      FileOptions
	limit     int64
}

func parkKeyOf(imp *Import, o FileOptions, limit int64) parkKey {
	return parkKey{path: imp.filePath, sha: imp.FileSHA256, size: imp.FileSize, opts: o, limit: limit}
}

type parkedFile struct {
	key   parkKey
	sus   *ingest.Suspended
	timer *time.Timer
}

// parkedFiles holds the parked readers by import id (zero value ready).
type parkedFiles struct {
	mu sync.Mutex
	m  map[int64]*parkedFile
}

// put parks sus for the import, replacing one parked before.
func (p *parkedFiles) put(id int64, key parkKey, sus *ingest.Suspended) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[int64]*parkedFile{}
	}
	if old := p.m[id]; old != nil {
		old.timer.Stop()
		old.sus.Close()
		delete(p.m, id)
	}
	if len(p.m) >= maxParked {
		sus.Close()
		return
	}
	pf := &parkedFile{key: key, sus: sus}
	pf.timer = time.AfterFunc(parkTTL, func() { p.drop(id, pf) })
	p.m[id] = pf
}

// take returns the import's parked reader if it was opened on key (and
// drops one that was not); nil if none.
func (p *parkedFiles) take(id int64, key parkKey) *ingest.Suspended {
	p.mu.Lock()
	defer p.mu.Unlock()
	pf := p.m[id]
	if pf == nil {
		return nil
	}
	delete(p.m, id)
	pf.timer.Stop()
	if pf.key != key {
		pf.sus.Close()
		return nil
	}
	return pf.sus
}

func (p *parkedFiles) drop(id int64, pf *parkedFile) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m[id] == pf {
		delete(p.m, id)
		pf.sus.Close()
	}
}

// discard closes the import's parked reader, if any.
func (p *parkedFiles) discard(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pf := p.m[id]; pf != nil {
		delete(p.m, id)
		pf.timer.Stop()
		pf.sus.Close()
	}
}

// openForStage opens the import's file for staging, resuming the reader
// the mapping step parked when there is one for this file and options.
func (s *Service) openForStage(ctx context.Context, imp *Import, o FileOptions, limit int64) (*ingest.Reader, error) {
	if sus := s.parked.take(imp.ID, parkKeyOf(imp, o, limit)); sus != nil {
		rd, err := sus.Resume()
		if err == nil {
			return rd, nil
		}
		sus.Close()
	}
	return s.openFile(ctx, imp, o, limit)
}
