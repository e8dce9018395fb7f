package importer

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"fusebox/backend/schema"
)

// A staged row's cells (importer_rows.data) are stored in one of two text
// encodings, told apart by the first byte:
//
//   - compact (rowCompact, 0x01): each cell as its length then its bytes.
//     A length under 126 is one byte, length+1 (0x01..0x7E); a longer one
//     is 0x7F, the length in decimal and ';'. One byte a cell instead of
//     JSON's quotes, comma and escapes.
//   - a JSON array of strings ('['): every row staged before the compact
//     encoding, and a row with a cell holding a NUL byte or invalid UTF-8,
//     so that the data is always text PostgreSQL's TEXT takes.
//
// decodeRow reads both; encodeRow writes compact when it can.
const (
	rowCompact  = 0x01
	rowShortMax = 125 // longest cell length written in one byte
	rowLongLen  = 0x7F
	rowLongEnd  = ';'
)

// encodeRow appends cells' encoding to dst.
func encodeRow(dst []byte, cells []string) []byte {
	start := len(dst)
	dst = append(dst, rowCompact)
	for _, c := range cells {
		if strings.IndexByte(c, 0) >= 0 || !utf8.ValidString(c) {
			return schema.AppendRowJSON(dst[:start], cells)
		}
		if len(c) <= rowShortMax {
			dst = append(dst, byte(len(c)+1))
		} else {
			dst = append(dst, rowLongLen)
			dst = strconv.AppendInt(dst, int64(len(c)), 10)
			dst = append(dst, rowLongEnd)
		}
		dst = append(dst, c...)
	}
	return dst
}

var errRowTruncated = errors.New("staged row: truncated cell")

// decodeRow decodes a stored row into dst[:0]; the cells share data's
// memory.
func decodeRow(data string, dst []string) ([]string, error) {
	if len(data) == 0 || data[0] != rowCompact {
		return schema.DecodeRowJSON(data, dst)
	}
	dst = dst[:0]
	for i := 1; i < len(data); {
		b := data[i]
		i++
		n := int(b) - 1
		if b == rowLongLen {
			end := strings.IndexByte(data[i:], rowLongEnd)
			if end < 0 {
				return dst, errRowTruncated
			}
			v, err := strconv.Atoi(data[i : i+end])
			if err != nil {
				return dst, errRowTruncated
			}
			n, i = v, i+end+1
		}
		if n < 0 || n > len(data)-i {
			return dst, errRowTruncated
		}
		dst = append(dst, data[i:i+n])
		i += n
	}
	return dst, nil
}
