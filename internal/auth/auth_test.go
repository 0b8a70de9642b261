package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"patuh/internal/apperr"
	"patuh/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testPassword = "correct horse battery"

func newTestUser(t *testing.T, s *Store, username string, role Role) *User {
	t.Helper()
	u, err := s.AddUser(context.Background(), "test", NewUser{Username: username, Name: "Test", Role: role, Password: testPassword}, false)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Issue 14: 194 of 200 concurrent guesses were checked. Now the counter is taken in the same
// statement that checks it, so 50 parallel wrong passwords compare at most the limit.
func TestParallelWrongPasswordsCheckAtMostTheLimit(t *testing.T) {
	s := NewStore(dbtest.DB(t), "test-secret")
	newTestUser(t, s, "throttle-parallel", Inspector)
	var compared atomic.Int64
	inner := s.compare
	s.compare = func(h, p []byte) error { compared.Add(1); return inner(h, p) }

	var wg sync.WaitGroup
	var throttled, bad atomic.Int64
	for i := range 50 {
		wg.Go(func() {
			// Different addresses: only the account's counter may stop them.
			_, err := s.Authenticate(context.Background(), "throttle-parallel", "wrong password!", "10.9.0."+string(rune('a'+i%26)))
			switch {
			case errors.Is(err, ErrThrottled):
				throttled.Add(1)
			case errors.Is(err, ErrBadCredentials):
				bad.Add(1)
			default:
				t.Errorf("attempt: %v", err)
			}
		})
	}
	wg.Wait()
	if n := compared.Load(); n > maxFailuresPerUser {
		t.Errorf("%d passwords compared, limit %d", n, maxFailuresPerUser)
	}
	if bad.Load() != maxFailuresPerUser || throttled.Load() != 50-maxFailuresPerUser {
		t.Errorf("bad credentials %d, throttled %d", bad.Load(), throttled.Load())
	}
	// The right password is refused too while the account is throttled.
	if _, err := s.Authenticate(context.Background(), "throttle-parallel", testPassword, "10.9.1.1"); !errors.Is(err, ErrThrottled) {
		t.Errorf("right password while throttled: %v", err)
	}
}

func TestSuccessClearsTheAccountCounter(t *testing.T) {
	s := NewStore(dbtest.DB(t), "test-secret")
	newTestUser(t, s, "throttle-clear", Inspector)
	ctx := context.Background()
	for range maxFailuresPerUser - 1 {
		if _, err := s.Authenticate(ctx, "throttle-clear", "wrong password!", "10.9.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	if _, err := s.Authenticate(ctx, "throttle-clear", testPassword, "10.9.2.1"); err != nil {
		t.Fatal(err)
	}
	for range maxFailuresPerUser {
		if _, err := s.Authenticate(ctx, "throttle-clear", "wrong password!", "10.9.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("after a success the count starts again: %v", err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, want := range map[string]string{
		"password1234":              "user.password_common",
		"            ":              "user.password_common",
		"qwertyuiop12":              "user.password_common",
		"short":                     "user.password_short",
		"ééééééééééé":               "user.password_short", // 11 characters, 22 bytes
		"budi.santoso-rahasia-2026": "user.password_username",
		"correct horse battery":     "",
		"long enough password":      "",
		"ꦗꦏꦂꦠꦱꦼꦤꦺꦴꦥꦠꦸꦃꦭꦁ": "",
	} {
		err := CheckPassword("budi.santoso", pw)
		got := ""
		if e, ok := apperr.As(err); ok {
			got = e.Fields["password"]
		} else if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("CheckPassword(%q) = %q, want %q", pw, got, want)
		}
	}
}

// Issue 17: a failing database was reported as a bad area.
func TestAddUserReportsAnOutageAsOne(t *testing.T) {
	s := NewStore(dbtest.DB(t), "test-secret")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.AddUser(ctx, "test", NewUser{Username: "outage", Name: "X", Role: Inspector, Area: "31.71", Password: testPassword}, false)
	if err == nil || apperr.CodeOf(err) == apperr.Invalid {
		t.Fatalf("outage reported as %v", err)
	}
}
