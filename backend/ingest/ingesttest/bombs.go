// Package ingesttest builds hostile input files for tests: XLSX workbooks
// whose parts unpack to far more than their compressed size, written in
// milliseconds by repeating one precompressed chunk.
package ingesttest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"os"
)

// Part is one archive member: Head, then Chunk Repeat times, then Tail.
// DeclaredSize, when not 0, is written as the uncompressed size instead of
// the true one (a lying bomb).
type Part struct {
	Name         string
	Head, Tail   string
	Chunk        []byte
	Repeat       int
	DeclaredSize int64
}

// Size is the true uncompressed size.
func (p Part) Size() int64 {
	return int64(len(p.Head)) + int64(len(p.Chunk))*int64(p.Repeat) + int64(len(p.Tail))
}

// Spaces returns n bytes of spaces (compressible XML whitespace).
func Spaces(n int) []byte { return bytes.Repeat([]byte{' '}, n) }

// Repeat returns s repeated to about n bytes.
func Repeat(s string, n int) []byte { return bytes.Repeat([]byte(s), max(1, n/len(s))) }

// deflated compresses b as non-final deflate blocks that reference nothing
// before them, so copies can be concatenated.
func deflated(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func finalBlock() []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Close()
	return buf.Bytes()
}

// WriteXLSX writes the parts as a zip archive at path.
func WriteXLSX(path string, parts ...Part) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for _, p := range parts {
		if err := writePart(zw, p); err != nil {
			f.Close()
			return fmt.Errorf("part %s: %w", p.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writePart(zw *zip.Writer, p Part) error {
	head, err := deflated([]byte(p.Head))
	if err != nil {
		return err
	}
	chunk, err := deflated(p.Chunk)
	if err != nil {
		return err
	}
	tail, err := deflated([]byte(p.Tail))
	if err != nil {
		return err
	}
	end := finalBlock()
	crc := crc32.ChecksumIEEE([]byte(p.Head))
	for range p.Repeat {
		crc = crc32.Update(crc, crc32.IEEETable, p.Chunk)
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(p.Tail))
	size := p.Size()
	if p.DeclaredSize > 0 {
		size = p.DeclaredSize
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: p.Name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64:   uint64(len(head) + len(chunk)*p.Repeat + len(tail) + len(end)),
		UncompressedSize64: uint64(size),
	})
	if err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	for range p.Repeat {
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	if _, err := w.Write(tail); err != nil {
		return err
	}
	_, err = w.Write(end)
	return err
}

const (
	nsMain = `http://schemas.openxmlformats.org/spreadsheetml/2006/main`
	nsRel  = `http://schemas.openxmlformats.org/officeDocument/2006/relationships`
	nsPkg  = `http://schemas.openxmlformats.org/package/2006/relationships`
)

// Names of the parts a Workbook holds.
const (
	StylesPart        = "xl/styles.xml"
	SharedStringsPart = "xl/sharedStrings.xml"
	SheetPart         = "xl/worksheets/sheet1.xml"
)

// Text is a part with fixed content.
func Text(name, content string) Part { return Part{Name: name, Head: content} }

// StylesHead and the other heads and tails open and close each part so that
// a bomb's chunk can go between them.
const (
	StylesHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<styleSheet xmlns="` + nsMain + `">`
	StylesTail = `<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>`
	SSTHead    = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<sst xmlns="` + nsMain + `"><si><t>name</t></si><si><t>email</t></si>`
	SSTTail    = `</sst>`
	SheetHead  = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<worksheet xmlns="` + nsMain + `"><sheetData>` +
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c><c r="B2" t="inlineStr"><is><t>ann@example.com</t></is></c></row>`
	SheetTail = `</sheetData></worksheet>`
)

// Workbook returns the parts of a small valid workbook (one sheet "Sheet1"
// with a header name,email and one row), where any part can be replaced
// by one of the same name in replace.
func Workbook(replace ...Part) []Part {
	parts := []Part{
		Text("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`+
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`),
		Text("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<Relationships xmlns="`+nsPkg+`"><Relationship Id="rId1" Type="`+nsRel+`/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
		Text("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<workbook xmlns="`+nsMain+`" xmlns:r="`+nsRel+`"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`),
		Text("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<Relationships xmlns="`+nsPkg+`"><Relationship Id="rId1" Type="`+nsRel+`/worksheet" Target="worksheets/sheet1.xml"/>`+
			`<Relationship Id="rId2" Type="`+nsRel+`/styles" Target="styles.xml"/><Relationship Id="rId3" Type="`+nsRel+`/sharedStrings" Target="sharedStrings.xml"/></Relationships>`),
		Text(StylesPart, StylesHead+StylesTail),
		Text(SharedStringsPart, SSTHead+SSTTail),
		Text(SheetPart, SheetHead+SheetTail),
	}
	for _, r := range replace {
		found := false
		for i := range parts {
			if parts[i].Name == r.Name {
				parts[i], found = r, true
			}
		}
		if !found {
			parts = append(parts, r)
		}
	}
	return parts
}
