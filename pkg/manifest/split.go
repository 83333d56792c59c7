package manifest

import (
	"bytes"
)

// rawDoc is one document of a stream before parsing.
type rawDoc struct {
	data []byte
	// start is the 1-based line of the stream where data begins.
	start int
	// first is the 1-based line of the first line that is neither blank nor a comment,
	// or 0 when the document holds no content.
	first int
	// index is the 1-based position of the document in the stream.
	index int
}

// splitYAML cuts a YAML stream into documents at lines that start with "---" followed only
// by blanks or a comment (the rule kubectl follows). A leading chunk before the first
// separator that holds only blanks and comments is not counted as a document, so that a
// file starting with a license header and "---" numbers its first object as document 1.
func splitYAML(data []byte) []rawDoc {
	var (
		docs         []rawDoc
		cur          = rawDoc{start: 1}
		docStart     = 0 // byte offset where the current document begins
		lineNo       = 0
		sawSeparator = false
	)
	for off := 0; off < len(data); {
		lineNo++
		next := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		line := bytes.TrimRight(data[off:next], "\r\n")
		switch {
		case isSeparator(line):
			if sawSeparator || cur.first != 0 {
				cur.data = data[docStart:off]
				docs = append(docs, cur)
			}
			sawSeparator = true
			cur = rawDoc{start: lineNo + 1}
			docStart = next
		case cur.first == 0 && isContent(line):
			cur.first = lineNo
		}
		off = next
	}
	cur.data = data[docStart:]
	docs = append(docs, cur)
	for i := range docs {
		docs[i].index = i + 1
	}
	return docs
}

// isSeparator reports whether line is a YAML document separator.
func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimSpace(line[3:])
	return len(rest) == 0 || rest[0] == '#'
}

// isContent reports whether line holds something other than blanks and a comment.
func isContent(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(t) > 0 && t[0] != '#'
}

// lineAt returns the 1-based line number of byte offset off in data.
func lineAt(data []byte, off int) int {
	off = min(off, len(data))
	return bytes.Count(data[:off], []byte("\n")) + 1
}
