// Package pdp applies the personal-data rules of UU 27/2022 that the whole application shares.
package pdp

import "strings"

// MaskNIK keeps the issuing region and the serial, as domain.md shows: 317101******0001.
func MaskNIK(nik string) string {
	if len(nik) != 16 {
		return strings.Repeat("*", len(nik))
	}
	return nik[:6] + "******" + nik[12:]
}
