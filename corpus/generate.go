package corpus

// The built-in documents in docs/ are generated, not edited: the command in
// compilation/ splits the compilation's text as its manifest says and reads
// each document's metadata with FromLines. Regenerate them with
// go generate ./corpus; the shared sources sit beside the clone.
//go:generate go run ./compilation -source ../../shared/sources/000_995e29078fff7534.txt -manifest compilation/compilation.yaml -out docs
