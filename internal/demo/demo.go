// Package demo seeds a new installation with demo users (and, once imports exist, the
// sample files) so that `make run` shows a working system.
package demo

import (
	"context"
	"crypto/rand"
	"math/big"

	"patuh/internal/auth"
)

// Account is a demo user with the password it was given on this run.
type Account struct {
	Username, Password string
	Role               auth.Role
	Area               string
}

var accounts = []auth.NewUser{
	{Username: "admin", Name: "Admin Demo", Role: auth.Admin},
	{Username: "supervisor", Name: "Sri Supervisor", Role: auth.Supervisor},
	{Username: "inspektur.pusat", Name: "Budi Pemeriksa (Jakarta Pusat)", Role: auth.Inspector, Area: "31.71"},
	{Username: "inspektur.timur", Name: "Ayu Pemeriksa (Jakarta Timur)", Role: auth.Inspector, Area: "31.75"},
}

var signers = map[string][2]string{
	"supervisor":      {"Kepala Seksi Pengawasan Norma Jaminan Sosial", "197803152005012002"},
	"inspektur.pusat": {"Pengawas Ketenagakerjaan Ahli Muda", "198406212009011003"},
	"inspektur.timur": {"Pengawas Ketenagakerjaan Ahli Pertama", "199102112015032001"},
}

// SeedUsers creates or resets the demo users with fresh random passwords and returns them,
// so the caller can print them once.
func SeedUsers(ctx context.Context, store *auth.Store) ([]Account, error) {
	var out []Account
	for _, a := range accounts {
		a.Password = randomPassword()
		if _, err := store.AddUser(ctx, "seed-demo", a, true); err != nil {
			return nil, err
		}
		// The demo inspectors sign their letters as a labour inspector would (fictitious NIPs).
		if s, ok := signers[a.Username]; ok {
			if err := store.SetSigner(ctx, "seed-demo", a.Username, s[0], s[1]); err != nil {
				return nil, err
			}
		}
		out = append(out, Account{a.Username, a.Password, a.Role, a.Area})
	}
	return out, nil
}

// randomPassword avoids look-alike characters so it can be typed from a terminal.
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}
