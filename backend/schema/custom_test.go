package schema

import "testing"

func TestCustomColumnsAndRecordObject(t *testing.T) {
	s := mustCompile(t, &Importer{Slug: "p", Name: "P", Settings: Settings{UnmappedColumns: "keep"}, Columns: []Column{
		{Key: "name", Label: "Name"}, {Key: "seats", Label: "Seats", Type: TypeInteger},
	}})
	headers := []string{"Seats", " Notes ", "", "Name", "Notes"}
	idx, names := s.CustomColumns(headers, []int{3, 0})
	if len(idx) != 2 || idx[0] != 1 || idx[1] != 4 || names[0] != "Notes" || names[1] != "Notes (2)" {
		t.Fatalf("CustomColumns = %v %q", idx, names)
	}
	vals := string(s.AppendRecordValuesCustom(nil, []string{"Ada", "3", "call \"back\"", ""}, names))
	if want := `["Ada",3,{"Notes":"call \"back\"","Notes (2)":""}]`; vals != want {
		t.Fatalf("values = %s, want %s", vals, want)
	}
	obj, err := s.RecordObject(nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"Ada","seats":3,"custom":{"Notes":"call \"back\"","Notes (2)":""}}`; string(obj) != want {
		t.Fatalf("object = %s, want %s", obj, want)
	}
	// with the match_on operation after them
	withOp, err := s.RecordObject(nil, `["Ada",3,{"Notes":"}{\"]"},"update"]`)
	if err != nil || string(withOp) != `{"name":"Ada","seats":3,"custom":{"Notes":"}{\"]"}}` {
		t.Fatalf("with operation = %s, %v", withOp, err)
	}
	// without kept columns: as before
	plain, _ := s.RecordObject(nil, string(s.AppendRecordValuesCustom(nil, []string{"Ada", "3"}, nil)))
	if string(plain) != `{"name":"Ada","seats":3}` {
		t.Fatalf("plain = %s", plain)
	}
}
