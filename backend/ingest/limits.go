package ingest

// Limits bound what one uploaded file can make the reader hold in memory,
// write to temporary files or return, whatever its declared sizes say. Each
// zero field means the Default* constant of the same name. Input beyond a
// limit fails with an *Error whose message names the limit: Kind
// ErrTooLarge for sizes (the workbook or one of its parts unpacks to more
// than allowed), ErrTooManyColumns for columns, ErrLineTooLong for one row
// or one text run, ErrFormat for structure (nesting, element counts).
type Limits struct {
	// MaxColumns is the most fields one row (CSV, TSV, XLSX) or the JSON
	// header (distinct keys) may have.
	MaxColumns int
	// MaxXLSXBytes is the most the parts of a workbook that are read
	// (workbook, styles, shared strings, worksheets) may unpack to in total.
	MaxXLSXBytes int64
	// MaxXLSXSheetBytes is the most one worksheet or the shared strings may
	// unpack to; these parts are streamed from a temporary file.
	MaxXLSXSheetBytes int64
	// MaxXLSXPartBytes is the most any other part that is read (workbook,
	// styles, relationships, content types) may unpack to; these parts are
	// parsed in memory.
	MaxXLSXPartBytes int64
	// MaxXLSXRatio is the most a part larger than xlsxRatioMinBytes may
	// unpack to per compressed byte.
	MaxXLSXRatio int64
	// MaxXLSXElements is the most XML elements a part parsed in memory
	// (workbook, styles, relationships, content types) may hold.
	MaxXLSXElements int
	// MaxXLSXSharedStrings is the most items the shared strings may hold.
	MaxXLSXSharedStrings int
	// MaxJSONDepth is the most a JSON value may nest (the array of rows and
	// its elements count as two levels).
	MaxJSONDepth int
	// MaxJSONHeaderBytes is how much of the leading JSON objects is buffered
	// to collect the header's keys (at most jsonHeaderObjects objects).
	MaxJSONHeaderBytes int64
}

// Defaults for Limits. Every file type is bound by MaxColumns and by
// Options.MaxFieldBytes (one row's text, DefaultMaxFieldBytes).
const (
	// DefaultMaxColumns is Excel's column limit (XFD).
	DefaultMaxColumns = 16384
	// DefaultMaxXLSXBytes bounds the temporary files a workbook unpacks to.
	DefaultMaxXLSXBytes int64 = 2 << 30
	// DefaultMaxXLSXSheetBytes fits a million rows of a dozen columns.
	DefaultMaxXLSXSheetBytes int64 = 1 << 30
	// DefaultMaxXLSXPartBytes is far above a real styles.xml (a workbook at
	// Excel's 64,000 cell formats has a few MB).
	DefaultMaxXLSXPartBytes int64 = 16 << 20
	// DefaultMaxXLSXRatio: worksheet XML deflates 5 to 30 times; deflate's
	// ceiling (about 1000) is what bombs use.
	DefaultMaxXLSXRatio int64 = 100
	// DefaultMaxXLSXElements bounds the structures a part parsed in memory
	// expands to (a few hundred bytes per element).
	DefaultMaxXLSXElements = 1 << 18
	// DefaultMaxXLSXSharedStrings bounds the shared string index (about 60
	// bytes per item).
	DefaultMaxXLSXSharedStrings = 2_000_000
	// DefaultMaxJSONDepth is far above any row-shaped JSON.
	DefaultMaxJSONDepth = 64
	// DefaultMaxJSONHeaderBytes bounds the objects buffered for the header.
	DefaultMaxJSONHeaderBytes int64 = 16 << 20
)

// xlsxRatioMinBytes: parts up to this size are not checked for their
// compression ratio (their absolute size bounds them).
const xlsxRatioMinBytes = 16 << 20

// xlsxMaxDepth bounds element nesting in workbook XML (real parts nest
// fewer than 10 levels).
const xlsxMaxDepth = 128

// xlsxInMemoryBytes: excelize keeps worksheets and shared strings up to this
// size in memory and streams larger ones from a temporary file.
const xlsxInMemoryBytes = 4 << 20

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultMaxColumns
	}
	if l.MaxXLSXBytes <= 0 {
		l.MaxXLSXBytes = DefaultMaxXLSXBytes
	}
	if l.MaxXLSXSheetBytes <= 0 {
		l.MaxXLSXSheetBytes = DefaultMaxXLSXSheetBytes
	}
	if l.MaxXLSXPartBytes <= 0 {
		l.MaxXLSXPartBytes = DefaultMaxXLSXPartBytes
	}
	if l.MaxXLSXRatio <= 0 {
		l.MaxXLSXRatio = DefaultMaxXLSXRatio
	}
	if l.MaxXLSXElements <= 0 {
		l.MaxXLSXElements = DefaultMaxXLSXElements
	}
	if l.MaxXLSXSharedStrings <= 0 {
		l.MaxXLSXSharedStrings = DefaultMaxXLSXSharedStrings
	}
	if l.MaxJSONDepth <= 0 {
		l.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if l.MaxJSONHeaderBytes <= 0 {
		l.MaxJSONHeaderBytes = DefaultMaxJSONHeaderBytes
	}
	return l
}

// tooManyColumnsError names the column limit; n is the columns seen so far.
func tooManyColumnsError(row, n, max int) *Error {
	return errorf(ErrTooManyColumns, row, "the row has %d columns or more, above the limit of %d columns (Excel's maximum)", n, max)
}
