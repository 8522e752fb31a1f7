package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load builds the configuration in layers, each overriding the one before:
//
//  1. DefaultConfig.
//  2. The YAML file at path, if path is not empty. A missing file is an
//     error: a path was asked for, so silently running on defaults would
//     hide a typo. Unknown keys are errors naming the key and its line.
//  3. ${VAR} and ${VAR:-default} in the file's string values, looked up
//     with getenv (the default applies when VAR is unset or empty; $${
//     is a literal ${). Numbers, booleans and durations are not expanded:
//     they are few, and the environment variables below cover the values
//     that differ between machines.
//  4. The environment, when set: OPENAI_API_KEY → llm.api_key,
//     OPENAI_BASE_URL → llm.base_url, POLICYBOT_LLM_MODEL → llm.model,
//     POLICYBOT_DATA_DIR → data_dir, POLICYBOT_TOKEN → web.token,
//     POLICYBOT_EMBEDDING_API_KEY → embedding.api_key,
//     POLICYBOT_RERANK_KEY → rerank.api_key,
//     POLICYBOT_WEAVIATE_KEY → weaviate.api_key.
//  5. Derived values: llm.base_url becomes OpenAIBaseURL when only a key
//     is given, and an openai embedding without its own base_url shares
//     the LLM's endpoint and key.
//
// The result is then validated. getenv is usually os.Getenv; nil means an
// empty environment.
func Load(path string, getenv func(string) string) (Config, error) {
	c, err := Read(path, getenv)
	if err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Read is Load without the validation, for callers that still apply
// command-line flags (--data-dir, --corpus) and then call Validate once,
// so a flag can supply what the file leaves out.
func Read(path string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read file: %w", err)
		}
		if err := c.decode(data); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
		if err := c.expand(getenv); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	c.override(getenv)
	c.derive()
	return c, nil
}

// decode lays the YAML document in data over c. Keys absent from the
// document keep their current value; an explicit null does too.
func (c *Config) decode(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) { // empty, or only comments
			return nil
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return typeError{te}
		}
		return err
	}
	// A second document would be ignored silently; it is more likely a
	// stray "---" than an intent.
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return err
	default:
		return fmt.Errorf("line %d: a second YAML document is not allowed", extra.Line)
	}
}

// typeError puts yaml's list of field errors (unknown keys, wrong types)
// on one line, so it reads as one log line.
type typeError struct{ *yaml.TypeError }

func (e typeError) Error() string { return "yaml: " + strings.Join(e.Errors, "; ") }

func (e typeError) Unwrap() error { return e.TypeError }

// expand replaces ${VAR} references in every string and string list.
func (c *Config) expand(getenv func(string) string) error {
	return leaves(reflect.ValueOf(c).Elem(), "", func(path string, v reflect.Value) error {
		switch {
		case v.Kind() == reflect.String:
			s, err := expand(v.String(), getenv)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			v.SetString(s)
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
			for i := range v.Len() {
				s, err := expand(v.Index(i).String(), getenv)
				if err != nil {
					return fmt.Errorf("%s[%d]: %w", path, i, err)
				}
				v.Index(i).SetString(s)
			}
		}
		return nil
	})
}

// expand substitutes ${NAME} and ${NAME:-default} in s. The value is not
// expanded again, so an environment value containing "${" stays as it is.
func expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return "", errors.New(`expand variables: "${" has no closing "}"`)
		}
		name, def, hasDef := strings.Cut(rest[:end], ":-")
		if !isVarName(name) {
			return "", fmt.Errorf("expand variables: %s is not a variable name", strconv.Quote(name))
		}
		v := getenv(name)
		if v == "" && hasDef {
			v = def
		}
		b.WriteString(v)
		s = rest[end+1:]
	}
}

// isVarName accepts what a POSIX shell accepts as a variable name.
func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// override applies the environment variables that take precedence over the
// file. Surrounding space is trimmed because keys pasted into an env file
// often carry a stray newline, which no key or URL legitimately has.
func (c *Config) override(getenv func(string) string) {
	for _, o := range []struct {
		env string
		dst *string
	}{
		{"OPENAI_API_KEY", &c.LLM.APIKey},
		{"OPENAI_BASE_URL", &c.LLM.BaseURL},
		{"POLICYBOT_LLM_MODEL", &c.LLM.Model},
		{"POLICYBOT_DATA_DIR", &c.DataDir},
		{"POLICYBOT_TOKEN", &c.Web.Token},
		{"POLICYBOT_EMBEDDING_API_KEY", &c.Embedding.APIKey},
		{"POLICYBOT_RERANK_KEY", &c.Rerank.APIKey},
		{"POLICYBOT_WEAVIATE_KEY", &c.Weaviate.APIKey},
	} {
		if v := strings.TrimSpace(getenv(o.env)); v != "" {
			*o.dst = v
		}
	}
}

// derive fills the values that follow from others.
func (c *Config) derive() {
	if c.LLM.APIKey != "" && c.LLM.BaseURL == "" {
		c.LLM.BaseURL = OpenAIBaseURL
	}
	// The LLM's key goes only to the LLM's endpoint: it is shared only
	// when the endpoint is.
	if c.Embedding.Provider == "openai" && c.Embedding.BaseURL == "" {
		c.Embedding.BaseURL = c.LLM.BaseURL
		if c.Embedding.APIKey == "" {
			c.Embedding.APIKey = c.LLM.APIKey
		}
	}
}

// leaves calls fn for each non-struct field under the struct v, with its
// dotted YAML path (prefix.key). Fields without a yaml tag are skipped.
func leaves(v reflect.Value, prefix string, fn func(path string, v reflect.Value) error) error {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		f := v.Field(i)
		var err error
		if f.Kind() == reflect.Struct {
			err = leaves(f, name, fn)
		} else {
			err = fn(name, f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
