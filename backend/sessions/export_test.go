package sessions

import "context"

// SigningKeyForTest exposes the current signing key so tests can forge
// tokens that differ from a real one in exactly one respect.
func (s *Service) SigningKeyForTest(ctx context.Context) (kid string, secret []byte, err error) {
	keys, err := s.signingKeys(ctx)
	if err != nil {
		return "", nil, err
	}
	return keys.current, keys.secrets[keys.current], nil
}
