// Package docsample finds the code samples the docs mark for testing: the
// fenced code block that follows <!-- sample:NAME --> in a Markdown file.
package docsample

import (
	"fmt"
	"os"
	"strings"
)

// Block is one marked code block and the file it is in.
type Block struct{ File, Code string }

// Find returns every code block marked <!-- sample:name --> in files (a
// sample may be shown in more than one place), each block's code ending in
// a newline. Finding none is not an error; a marker with no code block
// after it, or an unterminated block, is.
func Find(name string, files []string) ([]Block, error) {
	marker := "<!-- sample:" + name + " -->"
	var out []Block
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read sample %s: %w", name, err)
		}
		doc := string(b)
		for {
			i := strings.Index(doc, marker)
			if i < 0 {
				break
			}
			rest := doc[i+len(marker):]
			start := strings.Index(rest, "```")
			if start < 0 {
				return nil, fmt.Errorf("%s: no code block after %s", file, marker)
			}
			rest = rest[start+3:]
			nl := strings.IndexByte(rest, '\n')
			if nl < 0 {
				return nil, fmt.Errorf("%s: unterminated code block after %s", file, marker)
			}
			rest = rest[nl+1:]
			end := strings.Index(rest, "\n```")
			if end < 0 {
				return nil, fmt.Errorf("%s: unterminated code block after %s", file, marker)
			}
			out = append(out, Block{File: file, Code: rest[:end+1]})
			doc = rest[end:]
		}
	}
	return out, nil
}

// One returns the code of the one block marked <!-- sample:name --> in
// file.
func One(name, file string) (string, error) {
	blocks, err := Find(name, []string{file})
	if err != nil {
		return "", err
	}
	if len(blocks) != 1 {
		return "", fmt.Errorf("sample %s is in %s %d times, want once", name, file, len(blocks))
	}
	return blocks[0].Code, nil
}
