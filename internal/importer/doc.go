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
//
// The benchmarks of xlsx_bench_internal_test.go show it (2 cores, 4 Dec 2026): on a roster of
// 100,000 rows written by excelize, this reader reads 51,000 rows/s with 287 MB allocated,
// excelize's Rows() 30,000 rows/s with 752 MB; on a sheet of 2 million nested elements this
// reader refuses the file having raised the heap by 0.05 MB, excelize accepts it and raises the
// heap by 226 MB (the growth is linear: the 40 million of TestNestingBombRefused would be 4.5 GB).
