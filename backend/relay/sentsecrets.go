package relay

import (
	"net/url"
	"slices"
	"sync"
)

// maxSentSecrets bounds how many install-secret values sentSecrets keeps.
const maxSentSecrets = 1024

// sentSecrets remembers, in memory only, the install-secret values the
// relay has put into requests, so the built-in sink can mask them when a
// marketplace route delivers to this server's own /sink (as the demo
// listings do). Environment secrets need no memory: their values are read
// from the environment when the sink is shown.
type sentSecrets struct {
	mu     sync.Mutex
	labels map[string]string // value as it may appear -> its mask
	order  []string          // values in the order remembered, for eviction
}

// remember keeps value, and the forms it takes when escaped into a URL,
// to be shown as label.
func (s *sentSecrets) remember(value, label string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.labels == nil {
		s.labels = map[string]string{}
	}
	for _, form := range secretForms(value) {
		if _, ok := s.labels[form]; ok {
			continue
		}
		if len(s.order) >= maxSentSecrets {
			delete(s.labels, s.order[0])
			s.order = s.order[1:]
		}
		s.labels[form] = label
		s.order = append(s.order, form)
	}
}

// pairs returns old, new pairs for a strings.Replacer.
func (s *sentSecrets) pairs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, 2*len(s.order))
	for _, v := range s.order {
		out = append(out, v, s.labels[v])
	}
	return out
}

// secretForms returns value and the forms it takes when escaped into a
// URL, each once; none for a value under 4 bytes (too short to mask
// without hiding ordinary text).
func secretForms(value string) []string {
	if len(value) < 4 {
		return nil
	}
	out := []string{value}
	for _, form := range []string{url.QueryEscape(value), url.PathEscape(value)} {
		if !slices.Contains(out, form) {
			out = append(out, form)
		}
	}
	return out
}
