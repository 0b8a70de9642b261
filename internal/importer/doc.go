package importer

// Why the XLSX reader (reader.go) is hand-written although excelize is a dependency (the tests
// use it to write workbooks):
//
// An upload is hostile until validated, and a worksheet is XML inside a zip. The reader streams
// the sheet token by token and bounds every resource an attacker controls: each zip entry may
// expand at most maxExpansion times its compressed size (minExpansionBytes at least); a text run
// between two tags may not exceed maxLineBytes, because encoding/xml hands over a text node
// whole; elements may nest at most maxXMLDepth deep, because encoding/xml keeps a stack entry per
// open element (a nesting bomb took a test server to 7.1 GB); rows and the space between them
// have element budgets (maxRowElements, maxOtherElements, maxElementsPerByte), and the whole
// parse a time budget (maxSheetParseTime). A breach refuses the file as a whole, with a reason
// the user can read (import.file.*), before anything is staged.
//
// excelize's streaming Rows() bounds the unzipped size (Options.UnzipSizeLimit,
// UnzipXMLSizeLimit) but not the depth of elements, the number of elements, a single huge text
// node nor the time spent, and it loads the shared strings table whole. TestHostileXLSX and
// TestNestingBombRefused hold the reader to these bounds (the heap's peak is measured), and the
// FuzzXLSX* targets explore it.
