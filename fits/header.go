package fits

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrNoKey is wrapped by the errors of Header's getters when the key is absent, so that callers
// can tell an optional card that is missing (errors.Is(err, ErrNoKey)) from one that is malformed.
var ErrNoKey = errors.New("no such card")

// Card is one header card. Value is nil (no value: COMMENT, HISTORY, blank and undefined cards),
// bool, int64, float64, string or complex128. For COMMENT and HISTORY cards the text is in Comment.
type Card struct {
	Key     string
	Value   any
	Comment string
}

// Header is an ordered list of header cards with typed getters. Getters look up the first card
// with the given key. Source names the file and HDU for error messages ("" for headers built in
// memory).
type Header struct {
	Source string
	cards  []Card
}

// NewHeader returns an empty header.
func NewHeader() *Header { return &Header{} }

// Cards returns the cards in file order. The slice must not be modified.
func (h *Header) Cards() []Card { return h.cards }

// Len returns the number of cards.
func (h *Header) Len() int { return len(h.cards) }

func (h *Header) find(key string) int {
	key = strings.ToUpper(strings.TrimSpace(key))
	for i := range h.cards {
		if h.cards[i].Key == key {
			return i
		}
	}
	return -1
}

// Has reports whether a card with this key exists.
func (h *Header) Has(key string) bool { return h.find(key) >= 0 }

// Get returns the first card with this key.
func (h *Header) Get(key string) (Card, bool) {
	i := h.find(key)
	if i < 0 {
		return Card{}, false
	}
	return h.cards[i], true
}

func (h *Header) where() string {
	if h.Source == "" {
		return "header"
	}
	return h.Source
}

func (h *Header) value(key string) (any, error) {
	i := h.find(key)
	if i < 0 {
		return nil, fmt.Errorf("%s: card %s: %w", h.where(), key, ErrNoKey)
	}
	return h.cards[i].Value, nil
}

// Float returns a numeric card as float64 (integer values are converted).
func (h *Header) Float(key string) (float64, error) {
	v, err := h.value(key)
	if err != nil {
		return 0, err
	}
	switch v := v.(type) {
	case float64:
		return v, nil
	case int64:
		return float64(v), nil
	}
	return 0, fmt.Errorf("%s: card %s is %s, not a number", h.where(), key, describe(v))
}

// Int returns an integer card. A real value is accepted when it is integral.
func (h *Header) Int(key string) (int64, error) {
	v, err := h.value(key)
	if err != nil {
		return 0, err
	}
	switch v := v.(type) {
	case int64:
		return v, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), nil
		}
	}
	return 0, fmt.Errorf("%s: card %s is %s, not an integer", h.where(), key, describe(v))
}

// String returns a string card, without the trailing blanks FITS pads strings with.
func (h *Header) String(key string) (string, error) {
	v, err := h.value(key)
	if err != nil {
		return "", err
	}
	if s, ok := v.(string); ok {
		return strings.TrimRight(s, " "), nil
	}
	return "", fmt.Errorf("%s: card %s is %s, not a string", h.where(), key, describe(v))
}

// Bool returns a logical card.
func (h *Header) Bool(key string) (bool, error) {
	v, err := h.value(key)
	if err != nil {
		return false, err
	}
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("%s: card %s is %s, not a logical", h.where(), key, describe(v))
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "undefined"
	case string:
		return fmt.Sprintf("the string %q", v)
	default:
		return fmt.Sprintf("%v (%T)", v, v)
	}
}

// Set replaces the value and comment of the first card with this key, or appends a new card.
// Go integer and float types are stored as int64 and float64. Keys are upper-cased. Invalid keys
// or values are reported by Write, not here.
func (h *Header) Set(key string, value any, comment string) {
	key = strings.ToUpper(strings.TrimSpace(key))
	c := Card{Key: key, Value: normalise(value), Comment: comment}
	if i := h.find(key); i >= 0 {
		h.cards[i] = c
		return
	}
	h.cards = append(h.cards, c)
}

// Append adds a card at the end, even if its key is already present (as COMMENT, HISTORY and
// blank cards usually are). The key is upper-cased and the value normalised as in Set.
func (h *Header) Append(c Card) {
	c.Key = strings.ToUpper(strings.TrimSpace(c.Key))
	c.Value = normalise(c.Value)
	h.cards = append(h.cards, c)
}

// Delete removes every card with this key.
func (h *Header) Delete(key string) {
	key = strings.ToUpper(strings.TrimSpace(key))
	out := h.cards[:0]
	for _, c := range h.cards {
		if c.Key != key {
			out = append(out, c)
		}
	}
	h.cards = out
}

// AddComment appends a COMMENT card (long text is split over several cards when written).
func (h *Header) AddComment(text string) {
	h.cards = append(h.cards, Card{Key: "COMMENT", Comment: text})
}

// AddHistory appends a HISTORY card.
func (h *Header) AddHistory(text string) {
	h.cards = append(h.cards, Card{Key: "HISTORY", Comment: text})
}

// Clone returns a deep copy of the header.
func (h *Header) Clone() *Header {
	return &Header{Source: h.Source, cards: append([]Card(nil), h.cards...)}
}

func normalise(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint:
		if uint64(v) <= math.MaxInt64 {
			return int64(v)
		}
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v)
		}
	case float32:
		return float64(v)
	case complex64:
		return complex128(v)
	}
	return v
}
