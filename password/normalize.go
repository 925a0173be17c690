package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns pw in Unicode Normalization Form KC. It is applied identically when a
// password is set and when it is checked, so that, for example, a precomposed "é" and "e" followed
// by a combining acute accent, or fullwidth and ASCII letters, are the same password. It never
// truncates.
func Normalize(pw string) string {
	return norm.NFKC.String(pw)
}

//go:embed commonlist/passwords.txt.gz
var commonGzip []byte

var common struct {
	once sync.Once
	list []string // sorted, lowercase
}

// commonList decompresses the embedded list on first use. The data is part of the binary and
// checked by the tests, so a failure here is a build defect and panics.
func commonList() []string {
	common.once.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(commonGzip))
		if err != nil {
			panic("password: embedded common-password list: " + err.Error())
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			panic("password: embedded common-password list: " + err.Error())
		}
		// The entries are substrings of one string: one allocation for the text, one for the index.
		list := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		slices.Sort(list)
		common.list = slices.Compact(list)
	})
	return common.list
}

// IsCommon reports whether pw, normalised and lowercased, is in the bundled list of common and
// breached passwords (49,233 entries from @zxcvbn-ts/language-common; see commonlist/SOURCE.md).
func IsCommon(pw string) bool {
	_, found := slices.BinarySearch(commonList(), strings.ToLower(Normalize(pw)))
	return found
}
