// Package apperr is the small error vocabulary shared by stores and handlers.
// Stores return these; exactly one function in package web turns them into responses.
package apperr

import (
	"errors"
	"fmt"
)

type Code string

const (
	Invalid   Code = "validation_failed"
	NotFound  Code = "not_found"
	Conflict  Code = "conflict"
	Forbidden Code = "forbidden"
	Internal  Code = "internal"
	// The codes below are for the HTTP edge: who is asking, how much, and whether we can answer.
	Unauthorized     Code = "unauthorized"
	TooManyRequests  Code = "too_many_requests"
	Unavailable      Code = "unavailable"
	TooLarge         Code = "too_large"
	UnsupportedMedia Code = "unsupported_media_type"
	Malformed        Code = "malformed"
	MethodNotAllowed Code = "method_not_allowed"
)

// Error carries a code, a message id for the user's language and optional per-field message ids.
type Error struct {
	Code    Code
	Message string            // an i18n message id, or plain text when none exists
	Fields  map[string]string // field -> i18n message id
	Current any               // for Conflict: the current state of the object
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

func New(code Code, message string) *Error { return &Error{Code: code, Message: message} }

func Fields(fields map[string]string) *Error {
	return &Error{Code: Invalid, Message: "error.validation", Fields: fields}
}

// CodeOf reports the code of err, Internal for anything that is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
