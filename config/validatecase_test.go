package config

import "testing"

// validateCase checks that the defaults changed by mutate validate with
// exactly the error want, or none when want is "".
func validateCase(t *testing.T, mutate func(*Config), want string) {
	t.Helper()
	c := DefaultConfig()
	mutate(&c)
	err := c.Validate()
	switch {
	case want == "" && err != nil:
		t.Errorf("Validate() = %v, want nil", err)
	case want != "" && (err == nil || err.Error() != want):
		t.Errorf("Validate() = %v, want %s", err, want)
	}
}
