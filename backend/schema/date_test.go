package schema

import (
	"testing"
	"unicode/utf8"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, pattern string
		want        string // ISO date, "" = invalid
	}{
		{"2023-08-31", "", "2023-08-31"},
		{"2023-08-31T10:20:30Z", "", "2023-08-31"},
		{"2023-08-31 10:20", "", "2023-08-31"},
		{"08/31/2023", "", "2023-08-31"},
		{"8/31/2023", "", "2023-08-31"},
		{"08/31/23", "", "2023-08-31"},
		{"01/15/90", "", "1990-01-15"},
		{"01/15/49", "", "2049-01-15"},
		{"01/15/50", "", "1950-01-15"},
		{"01/15/00", "", "2000-01-15"},
		{"01/15/99", "", "1999-01-15"},
		{"08-31-2023", "", "2023-08-31"},
		{"31.08.2023", "", "2023-08-31"},
		{"31.08.23", "", "2023-08-31"},
		{"2023/08/31", "", "2023-08-31"},
		{"2023.08.31", "", "2023-08-31"},
		{"Aug 31, 2023", "", "2023-08-31"},
		{"aug 31 2023", "", "2023-08-31"},
		{"August 31, 2023", "", "2023-08-31"},
		{"Sept 5, 2023", "", "2023-09-05"},
		{"Aug. 5, 2023", "", "2023-08-05"},
		{"31-Aug-2023", "", "2023-08-31"},
		{"31 August 2023", "", "2023-08-31"},
		{"Thursday, August 31, 2023", "", "2023-08-31"},
		{"Thu, 31 Aug 2023", "", "2023-08-31"},
		{"August 2023", "", "2023-08-01"},
		{"02/03/2023", "", "2023-02-03"},
		{"02/03/2023", "dd/MM/yyyy", "2023-03-02"},
		{"31/08/2023", "dd/MM/yyyy", "2023-08-31"},
		{"31/08/2023", "", ""}, // month 31 does not exist, MM/dd by default
		{"31/08/23", "dd/MM/yy", "2023-08-31"},
		{"2023", "yyyy", "2023-01-01"},
		{"Tuesday August 2023", "EEEE MMMM yyyy", "2023-08-01"},
		{"20230831", "yyyyMMdd", "2023-08-31"},
		{"2023-02-29", "", ""},
		{"2024-02-29", "", "2024-02-29"},
		{"1900-02-29", "", ""},
		{"2000-02-29", "", "2000-02-29"},
		{"2023-13-01", "", ""},
		{"2023-00-10", "", ""},
		{"0000-01-01", "", ""},
		{"hello", "", ""},
		{"", "", ""},
		{"12", "", ""},
		{"2023", "", ""},
		{"31.08.2023 extra", "", ""},
		{"Foo 31, 2023", "", ""},
		{"08/31/2023", "yyyy-MM-dd", "2023-08-31"}, // own pattern first, then common ones
	}
	for _, tt := range tests {
		dt, err := ParseDate(tt.in, tt.pattern)
		got := ""
		if err == nil {
			got = string(dt.AppendISODate(nil))
		}
		if got != tt.want {
			t.Errorf("ParseDate(%q, %q) = %q (err %v), want %q", tt.in, tt.pattern, got, err, tt.want)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		in, pattern, want string
	}{
		{"2023-08-31T10:20:30Z", "", "2023-08-31T10:20:30Z"},
		{"2023-08-31T10:20:30.5+02:00", "", "2023-08-31T10:20:30.500+02:00"},
		{"2023-08-31T10:20:30-0530", "", "2023-08-31T10:20:30-05:30"},
		{"2023-08-31 10:20", "", "2023-08-31T10:20:00"},
		{"08/31/2023 1:30 PM", "", "2023-08-31T13:30:00"},
		{"08/31/2023 12:30 AM", "", "2023-08-31T00:30:00"},
		{"08/31/2023 12:30:45", "MM/dd/yyyy HH:mm:ss", "2023-08-31T12:30:45"},
		{"08/31/2023 12:30:45.500", "MM/dd/yyyy HH:mm:ss.SSS", "2023-08-31T12:30:45.500"},
		{"Aug 31, 2023 18:05", "", "2023-08-31T18:05:00"},
		{"2023-08-31", "", "2023-08-31T00:00:00"},
		{"2023-08-31T25:00:00", "", ""},
		{"2023-08-31T10:61", "", ""},
		{"31.08.2023 10:00", "", "2023-08-31T10:00:00"},
		{"2023-08-31T10:20:30Z junk", "", ""},
	}
	for _, tt := range tests {
		dt, err := ParseDateTime(tt.in, tt.pattern)
		got := ""
		if err == nil {
			got = string(dt.AppendISODateTime(nil))
		}
		if got != tt.want {
			t.Errorf("ParseDateTime(%q, %q) = %q (err %v), want %q", tt.in, tt.pattern, got, err, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in, pattern, want string
	}{
		{"12:30", "", "12:30:00"},
		{"23:45:30", "", "23:45:30"},
		{"01:30 PM", "", "13:30:00"},
		{"1:30 pm", "", "13:30:00"},
		{"12:00 AM", "", "00:00:00"},
		{"12:00 p.m.", "", "12:00:00"},
		{"11:45:30 AM", "hh:mm:ss a", "11:45:30"},
		{"7 PM", "", "19:00:00"},
		{"24:00", "", ""},
		{"13:30 PM", "", ""},
		{"noon", "", ""},
	}
	for _, tt := range tests {
		dt, err := ParseTime(tt.in, tt.pattern)
		got := ""
		if err == nil {
			got = string(dt.AppendISOTime(nil))
		}
		if got != tt.want {
			t.Errorf("ParseTime(%q, %q) = %q (err %v), want %q", tt.in, tt.pattern, got, err, tt.want)
		}
	}
}

func TestDatePatternFormat(t *testing.T) {
	dt := DateTime{Year: 2023, Month: 8, Day: 5, Hour: 13, Minute: 7, Second: 9, Nano: 45_000_000, HasTime: true, HasZone: true, Offset: -5 * 3600}
	tests := []struct{ pattern, want string }{
		{"yyyy-MM-dd", "2023-08-05"},
		{"MM/dd/yyyy", "08/05/2023"},
		{"M/d/yy", "8/5/23"},
		{"dd.MM.yyyy", "05.08.2023"},
		{"MMM dd, yyyy", "Aug 05, 2023"},
		{"MMMM d, yyyy", "August 5, 2023"},
		{"EEEE dd MMMM yyyy", "Saturday 05 August 2023"},
		{"EEE, dd MMM yyyy", "Sat, 05 Aug 2023"},
		{"dd-MMMM-yyyy", "05-August-2023"},
		{"HH:mm:ss", "13:07:09"},
		{"hh:mm a", "01:07 PM"},
		{"h:mm:ss a", "1:07:09 PM"},
		{"HH:mm:ss.SSS", "13:07:09.045"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", "2023-08-05T13:07:09-05:00"},
		{"MMM dd", "Aug 05"},
		{"yyyy", "2023"},
	}
	for _, tt := range tests {
		p, err := CompileDatePattern(tt.pattern)
		if err != nil {
			t.Fatalf("CompileDatePattern(%q): %v", tt.pattern, err)
		}
		if got := string(p.Format(nil, dt)); got != tt.want {
			t.Errorf("Format(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestCompileDatePatternErrors(t *testing.T) {
	for _, p := range []string{"", "yyyyy", "ddd", "hh:mm", "yyyy-MM-dd Q", "'unterminated", "HHH"} {
		if _, err := CompileDatePattern(p); err == nil {
			t.Errorf("CompileDatePattern(%q) succeeded, want error", p)
		}
	}
}

// Every value parsed with a pattern formats back to text that the same
// pattern parses to the same value.
func TestDatePatternRoundTrip(t *testing.T) {
	patterns := []string{"MM/dd/yyyy", "dd.MM.yyyy", "yyyy-MM-dd", "MMM dd, yyyy", "dd-MMMM-yyyy", "MM/dd/yyyy hh:mm:ss a", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "EEEE dd MMMM yyyy"}
	for _, ps := range patterns {
		p, err := CompileDatePattern(ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, dt := range []DateTime{
			{Year: 1999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 58, HasTime: true},
			{Year: 2024, Month: 2, Day: 29, Hour: 0, Minute: 0, Second: 1, HasTime: true},
			{Year: 2000, Month: 1, Day: 1, Hour: 12, Minute: 30, HasTime: true},
		} {
			text := string(p.Format(nil, dt))
			back, ok := p.Parse(text)
			if !ok {
				t.Errorf("%s: %q does not parse back", ps, text)
				continue
			}
			if string(p.Format(nil, back)) != text {
				t.Errorf("%s: %q round-trips to %q", ps, text, p.Format(nil, back))
			}
		}
	}
}

func TestDateCompare(t *testing.T) {
	a, _ := ParseDateTime("2023-01-01T10:00:00+02:00", "")
	b, _ := ParseDateTime("2023-01-01T09:00:00Z", "")
	if a.Compare(b) >= 0 {
		t.Errorf("10:00+02:00 should be before 09:00Z")
	}
	c, _ := ParseDate("1969-12-31", "")
	d, _ := ParseDate("1970-01-01", "")
	if c.Compare(d) != -1 || d.Compare(c) != 1 || c.Compare(c) != 0 {
		t.Errorf("Compare across the epoch is wrong")
	}
	if got := d.Time().Unix(); got != 0 {
		t.Errorf("Time() of 1970-01-01 = %d", got)
	}
	if w := (DateTime{Year: 2023, Month: 8, Day: 31}).weekday(); w != 4 {
		t.Errorf("2023-08-31 weekday = %d, want 4 (Thursday)", w)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2023-08-31", "08/31/2023", "31.08.23", "Aug 31, 2023", "2023-08-31T10:20:30.123+02:00", "1/1/49", "Thursday, August 31, 2023", "12:30 PM", "99-99-99", "\x00\xff"} {
		f.Add(s, "")
		f.Add(s, "dd/MM/yyyy")
	}
	f.Add("2023", "yyyy")
	f.Add("05-Aug-2023 1:07 PM", "dd-MMM-yyyy h:mm a")
	f.Fuzz(func(t *testing.T, s, pattern string) {
		for _, typ := range []Type{TypeDate, TypeDatetime, TypeTime} {
			dt, err := parseTemporal(typ, s, pattern)
			if err != nil {
				continue
			}
			if !dt.valid() {
				t.Fatalf("%s %q (%q) parsed to invalid %+v", typ, s, pattern, dt)
			}
			// the ISO form always parses back to the same instant
			var iso string
			switch typ {
			case TypeDate:
				iso = string(dt.AppendISODate(nil))
			case TypeDatetime:
				iso = string(dt.AppendISODateTime(nil))
			default:
				iso = string(dt.AppendISOTime(nil))
			}
			back, err := parseTemporal(typ, iso, "")
			if err != nil {
				t.Fatalf("%s %q -> %q does not parse back: %v", typ, s, iso, err)
			}
			if typ != TypeTime && back.Compare(dt) != 0 && dt.Nano%1_000_000 == 0 {
				t.Fatalf("%s %q -> %q -> %+v, want %+v", typ, s, iso, back, dt)
			}
			if !utf8.ValidString(iso) {
				t.Fatalf("invalid UTF-8 output %q", iso)
			}
		}
	})
}
