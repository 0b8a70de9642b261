package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/alexedwards/scs/v2"
)

// HashedSessionStore keeps only the SHA-256 of each session token in the store beneath it
// (ASVS V7.2.4): a copy of the sessions table cannot be replayed as cookies. The token is 256
// random bits from scs, so an unsalted fast hash is enough.
type HashedSessionStore struct{ Inner scs.Store }

var _ scs.Store = HashedSessionStore{}

func hashSessionToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (s HashedSessionStore) Find(token string) ([]byte, bool, error) {
	return s.Inner.Find(hashSessionToken(token))
}

func (s HashedSessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.Inner.Commit(hashSessionToken(token), b, expiry)
}

func (s HashedSessionStore) Delete(token string) error {
	return s.Inner.Delete(hashSessionToken(token))
}
