package importer

import (
	"context"
	"errors"
	"fmt"
	"os"

	"fusebox/backend/errs"
)

// OriginalFile opens the file an import's end user uploaded, as stored
// (for the console's download link). The caller closes it. An import with
// no file yet, or whose upload the clean-up removed, has none.
func (s *Service) OriginalFile(ctx context.Context, slug string) (*os.File, Import, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return nil, Import{}, err
	}
	if imp.filePath == "" {
		return nil, Import{}, errs.NotFound("import %s has no uploaded file", slug)
	}
	if err := s.localFile(ctx, imp); err != nil {
		return nil, Import{}, err
	}
	f, err := os.Open(imp.filePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, Import{}, errs.NotFound("the uploaded file of import %s is no longer stored", slug)
	}
	if err != nil {
		return nil, Import{}, fmt.Errorf("open the uploaded file of import %s: %w", slug, err)
	}
	return f, *imp, nil
}
