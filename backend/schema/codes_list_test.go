package schema

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"testing"
)

// The embed translates findings by code (frontend/src/embed/i18n-review.ts);
// validation-codes.json lists every code the schema can give, and the
// embed's test checks that each has a text in every language.
func TestMessageCodesListedForTheEmbed(t *testing.T) {
	want := []string{CodeRequired, CodeCustom, CodeUnique, CodeUniqueCI, CodeUniqueCombination}
	for t := range knownTypes {
		if t != TypeString {
			want = append(want, "type."+string(t))
		}
	}
	for _, v := range Validators {
		want = append(want, string(v))
	}
	sort.Strings(want)
	body, err := os.ReadFile("../../frontend/src/embed/validation-codes.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("frontend/src/embed/validation-codes.json lists %q; the schema gives %q", got, want)
	}
}
