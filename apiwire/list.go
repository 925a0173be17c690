package apiwire

// List is the envelope of every list answer: {"data": [...], "next_cursor": "..."}.
// NextCursor is "" on the last page; otherwise it is passed back as ?cursor= for the next one.
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}
