package sqlstore

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// walIndexHeader is SQLite's wal-index header: the first 48 bytes of the shared-memory file
// (<db>-shm) that every connection to a WAL database maps, in any process
// (https://www.sqlite.org/walformat.html, "The WAL-Index Format"). Its third word, iChange, is
// incremented by every commit, and the header also holds the last frame and the salts, so any
// commit, and any WAL restart, changes it. The file keeps it twice, back to back: a committing
// writer rewrites the second copy, then (after a memory barrier) the first, so a reader that
// reads the first copy and then the second and finds them equal has read a header that no
// commit was writing. That is how SQLite itself reads it (walIndexTryHdr in wal.c).
type walIndexHeader [walIndexHeaderWords]uint32

const walIndexHeaderWords = 12 // 48 bytes

// walIndexHeaders is the two copies as they lie in the mapping.
type walIndexHeaders [2 * walIndexHeaderWords]uint32

// read reads both copies, the first then the second, each word with an atomic load. stable is
// false when they differ (a commit is writing them).
func (m *walIndexHeaders) read() (h walIndexHeader, stable bool) {
	var second walIndexHeader
	for i := range h {
		h[i] = atomic.LoadUint32(&m[i])
	}
	for i := range second {
		second[i] = atomic.LoadUint32(&m[walIndexHeaderWords+i])
	}
	return h, h == second
}

// mapWALIndexHeaders returns the wal-index headers in c's own mapping of the shared-memory
// file, or nil when c has none (SQLite keeps the index in heap memory in exclusive locking
// mode, and maps it only once the connection has read in WAL mode). The mapping lives as long
// as c's connection: the caller stops reading it before it closes c.
//
// SQLite's C API has no call for this; it is what SQLite's RBU extension does: the main
// database's sqlite3_file (SQLITE_FCNTL_FILE_POINTER), then its VFS's xShmMap for region 0
// without extending it. Going through the connection's own VFS file keeps SQLite's POSIX locks
// intact (opening and closing the -shm file here would drop this process's locks on it).
func mapWALIndexHeaders(c *lookupConn) (*walIndexHeaders, error) {
	main, err := libc.CString("main")
	if err != nil {
		return nil, err
	}
	rc := sqlite3.Xsqlite3_file_control(c.tls, c.db, main, sqlite3.SQLITE_FCNTL_FILE_POINTER, c.scratch)
	libc.Xfree(c.tls, main)
	if rc != sqlite3.SQLITE_OK {
		return nil, c.fail("file pointer", rc)
	}
	file := c.out() // sqlite3_file*
	if file == 0 {
		return nil, nil
	}
	methods := readPointer(file) // its pMethods: sqlite3_io_methods*
	if methods == 0 {
		return nil, nil
	}
	var io sqlite3.Tsqlite3_io_methods
	if io.FiVersion = int32(binary.NativeEndian.Uint32(libc.GoBytes(methods, 4))); io.FiVersion < 2 {
		return nil, nil // version 1 methods have no shared memory
	}
	io.FxShmMap = readPointer(methods + unsafe.Offsetof(io.FxShmMap))
	if io.FxShmMap == 0 {
		return nil, nil
	}
	// int xShmMap(sqlite3_file*, int iPg, int pgsz, int bExtend, void volatile**): region 0 of
	// 32 KiB, the size every connection maps it with.
	xShmMap := *(*func(*libc.TLS, uintptr, int32, int32, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{io.FxShmMap}))
	clear(libc.GoBytes(c.scratch, ptrSize))
	if rc := xShmMap(c.tls, file, 0, 32*1024, 0, c.scratch); rc != sqlite3.SQLITE_OK {
		return nil, c.fail("shared memory", rc)
	}
	// The out-parameter is a C pointer into the mapping (memory Go does not manage): read it
	// as one.
	region := *(*unsafe.Pointer)(unsafe.Pointer(&libc.GoBytes(c.scratch, ptrSize)[0]))
	return (*walIndexHeaders)(region), nil
}

// readPointer reads the C pointer stored at address p.
func readPointer(p uintptr) uintptr {
	b := libc.GoBytes(p, ptrSize)
	if ptrSize == 8 {
		return uintptr(binary.NativeEndian.Uint64(b))
	}
	return uintptr(binary.NativeEndian.Uint32(b))
}
