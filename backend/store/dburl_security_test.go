package store_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/store"
)

// TestSecurityDatabaseURLPasswordNotInErrors: the PostgreSQL URL's
// password, whether in the user part or as a password= (or sslpassword=)
// parameter, is never in the errors opening it gives (they are printed
// and logged at start).
func TestSecurityDatabaseURLPasswordNotInErrors(t *testing.T) {
	for _, u := range []string{
		"postgres://u:PW1SECRET@127.0.0.1:1/db?sslmode=bogus",
		"postgres://u@127.0.0.1:1/db?password=PW1SECRET&sslmode=bogus",
		"postgres://u@127.0.0.1:1/db?sslpassword=PW1SECRET&sslmode=bogus",
		"postgresql://u@127.0.0.1:1/db?PASSWORD=PW1SECRET&sslmode=disable&connect_timeout=x",
		"postgres://u@127.0.0.1:1/db?password=PW1SECRET&sslmode=disable&connect_timeout=1",
	} {
		_, err := store.OpenPostgres(context.Background(), u)
		if err == nil {
			t.Fatalf("%s opened", u)
		}
		if strings.Contains(err.Error(), "PW1SECRET") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
