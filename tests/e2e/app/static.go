package main

import (
	"io/fs"
	"net/http"
	"path"
)

// newStaticHandler serves the built client assets from dir (STATIC_DIR), without
// directory listings.
func newStaticHandler(dir string) http.Handler {
	return http.FileServer(noListingFS{http.Dir(dir)})
}

// noListingFS hides directories that have no index.html, so http.FileServer answers
// 404 instead of listing them.
type noListingFS struct{ root http.FileSystem }

func (f noListingFS) Open(name string) (http.File, error) {
	file, err := f.root.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if st.IsDir() {
		idx, err := f.root.Open(path.Join(name, "index.html"))
		if err != nil {
			file.Close()
			return nil, fs.ErrNotExist
		}
		idx.Close()
	}
	return file, nil
}
