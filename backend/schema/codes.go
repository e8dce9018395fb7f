package schema

import (
	"strings"
)

// Message codes. Every finding has an English message (the API's
// `message`) and a stable code with parameters, so that a user interface
// can say the same thing in its own language. A message the importer's
// author wrote (a validation's `message`) has the code "custom": it is
// shown as written.
const (
	CodeRequired          = "required"
	CodeCustom            = "custom"
	CodeUnique            = "unique"
	CodeUniqueCI          = "unique_case_insensitive"
	CodeUniqueCombination = "unique_combination"
)

// IssueCode is a finding's code and parameters.
type IssueCode struct {
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

type msgCode struct {
	msg string
	IssueCode
}

// exampleDate is the date every example in a message shows: October 4,
// 2015, 14:30.
var exampleDate = DateTime{Year: 2015, Month: 10, Day: 4, Hour: 14, Minute: 30}

// typeMessage returns the English message of a type finding, its code and
// parameters. Dates, datetimes and times give two examples the column's
// parser accepts (its own pattern or the common month-first form, and
// ISO 8601), so that the message never names a format that would fail.
func typeMessage(typ Type, own *DatePattern, values []string) (string, IssueCode) {
	code := IssueCode{Code: "type." + string(typ)}
	ex := func(a, b string) {
		code.Params = map[string]string{"a": a, "b": b}
	}
	switch typ {
	case TypeInteger:
		return "must be a whole number", code
	case TypeFloat:
		ex("12.5", "-3")
		return "must be a number such as 12.5 or -3", code
	case TypeBoolean:
		return "must be yes/no, true/false, y/n, 1/0 or on/off", code
	case TypeDate, TypeDatetime:
		iso := "2015-10-04"
		first := "10/04/2015"
		if typ == TypeDatetime {
			iso, first = "2015-10-04T14:30:00", "10/04/2015 14:30"
		}
		if own != nil {
			first = string(own.Format(nil, exampleDate))
		} else if typ == TypeDate {
			first = "10/04/2015"
		}
		if first == iso {
			first = "Oct 4, 2015"
			if typ == TypeDatetime {
				first = "2015-10-04 14:30"
			}
		}
		ex(first, iso)
		if typ == TypeDatetime {
			return "must be a date and time such as " + first + " or " + iso, code
		}
		return "must be a date such as " + first + " or " + iso, code
	case TypeTime:
		first := "14:30"
		if own != nil {
			first = string(own.Format(nil, exampleDate))
		}
		second := "2:30 PM"
		if first == second {
			second = "14:30"
		}
		ex(first, second)
		return "must be a time such as " + first + " or " + second, code
	case TypeEmail:
		ex("name@example.com", "")
		delete(code.Params, "b")
		return "must be a valid email address such as name@example.com", code
	case TypeURL:
		ex("https://example.com", "")
		delete(code.Params, "b")
		return "must be a valid URL such as https://example.com", code
	case TypePhone:
		ex("+1 555 123 4567", "")
		delete(code.Params, "b")
		return "must be a valid phone number such as +1 555 123 4567", code
	case TypeEnum:
		list := strings.Join(values, ", ")
		if len(values) > 8 {
			list = strings.Join(values[:8], ", ") + ", ..."
		}
		code.Params = map[string]string{"values": list}
		return "must be one of: " + list, code
	}
	return "", code
}

// validationCode returns the code of a validation finding whose message
// the compiler wrote.
func validationCode(kind Validator, params map[string]string) IssueCode {
	return IssueCode{Code: string(kind), Params: params}
}

// addCode records the code of a message a column can report.
func (c *colSpec) addCode(msg string, code IssueCode) {
	for _, m := range c.codes {
		if m.msg == msg {
			return
		}
	}
	c.codes = append(c.codes, msgCode{msg: msg, IssueCode: code})
}

// IssueCodes returns the codes and parameters of a finding of column col
// with the given message (as stored with the finding): one per message
// when the finding joins several ("a; b"). A message the column cannot
// produce is "custom" (its text is shown as written).
func (s *Schema) IssueCodes(col int, message string) []IssueCode {
	if c, ok := s.issueCode(col, message); ok {
		return []IssueCode{c}
	}
	parts := strings.Split(message, "; ")
	out := make([]IssueCode, 0, len(parts))
	for _, p := range parts {
		c, ok := s.issueCode(col, p)
		if !ok {
			// a custom message with "; " in it: one custom finding
			return []IssueCode{{Code: CodeCustom}}
		}
		out = append(out, c)
	}
	return out
}

func (s *Schema) issueCode(col int, message string) (IssueCode, bool) {
	if col < 0 || col >= len(s.cols) {
		return IssueCode{}, false
	}
	for _, m := range s.cols[col].codes {
		if m.msg == message {
			return m.IssueCode, true
		}
	}
	for _, g := range s.groups {
		if g.Col == col && g.Message == message {
			return g.code, true
		}
	}
	return IssueCode{}, false
}
