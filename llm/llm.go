package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// defaultTimeout bounds one chat attempt when Config.Timeout is zero; go-openai
// would otherwise wait forever on a stuck endpoint.
const defaultTimeout = 60 * time.Second

// Config describes one OpenAI-compatible chat endpoint and how hard to try it.
type Config struct {
	BaseURL string // e.g. https://api.deepseek.com/v1; required
	APIKey  string // may be empty for local servers (Ollama, vLLM)
	Model   string // required
	// Timeout bounds one attempt of Complete, and in Stream the wait for
	// the response and for each next chunk (a long answer may stream for
	// longer). The caller's ctx bounds everything. Zero means 60s.
	Timeout time.Duration
	// MaxRetries counts retries after the first attempt; zero disables them.
	MaxRetries int
	// RetryBase is the first backoff ceiling; it doubles per retry, with
	// full jitter, capped at 30s and at half the time the caller's ctx has
	// left. A Retry-After that would pass the ctx's deadline ends the
	// retries at once. Zero means 500ms.
	RetryBase time.Duration
	// Temperature in [0, 2]; zero is omitted on the wire, so the server's
	// default applies (go-openai cannot send an explicit 0).
	Temperature float32
	// MaxTokens caps the answer; zero leaves it to the server.
	MaxTokens int
}

// Message is one turn of a conversation.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// Client generates chat completions. It is safe for concurrent use.
type Client struct {
	api         *openai.Client
	model       string
	temperature float32
	maxTokens   int
	retry       policy
	log         *slog.Logger
}

// New validates cfg and builds a client. log may be nil.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	model := strings.TrimSpace(cfg.Model)
	if model == "" {
		return nil, errors.New("llm config: model is required")
	}
	if cfg.Temperature < 0 || cfg.Temperature > 2 {
		return nil, fmt.Errorf("llm config: temperature %v outside [0, 2]", cfg.Temperature)
	}
	if cfg.MaxTokens < 0 {
		return nil, fmt.Errorf("llm config: max tokens %d is negative", cfg.MaxTokens)
	}
	timeout, err := checkRetry(cfg.Timeout, cfg.MaxRetries, cfg.RetryBase, defaultTimeout)
	if err != nil {
		return nil, fmt.Errorf("llm config: %w", err)
	}
	api, err := newAPI(cfg.BaseURL, cfg.APIKey)
	if err != nil {
		return nil, fmt.Errorf("llm config: %w", err)
	}
	return &Client{
		api:         api,
		model:       model,
		temperature: cfg.Temperature,
		maxTokens:   cfg.MaxTokens,
		retry:       newPolicy(timeout, cfg.MaxRetries, cfg.RetryBase, log),
		log:         log,
	}, nil
}

// checkRetry validates the retry settings and returns the effective timeout.
func checkRetry(timeout time.Duration, maxRetries int, base, defTimeout time.Duration) (time.Duration, error) {
	switch {
	case timeout < 0:
		return 0, fmt.Errorf("timeout %s is negative", timeout)
	case maxRetries < 0:
		return 0, fmt.Errorf("max retries %d is negative", maxRetries)
	case base < 0:
		return 0, fmt.Errorf("retry base %s is negative", base)
	case timeout == 0:
		return defTimeout, nil
	}
	return timeout, nil
}

// newAPI builds a go-openai client whose HTTP client has no global timeout:
// deadlines travel in contexts so that streaming answers are not cut.
func newAPI(baseURL, apiKey string) (*openai.Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("parse base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want http(s)://host/path", baseURL)
	}
	oc := openai.DefaultConfig(apiKey)
	oc.BaseURL = strings.TrimRight(u.String(), "/")
	oc.HTTPClient = doer{hc: &http.Client{}}
	return openai.NewClientWithConfig(oc), nil
}

func (c *Client) request(msgs []Message) (openai.ChatCompletionRequest, error) {
	if len(msgs) == 0 {
		return openai.ChatCompletionRequest{}, errors.New("no messages")
	}
	out := make([]openai.ChatCompletionMessage, len(msgs))
	for i, m := range msgs {
		switch m.Role {
		case openai.ChatMessageRoleSystem, openai.ChatMessageRoleUser, openai.ChatMessageRoleAssistant:
		default:
			return openai.ChatCompletionRequest{}, fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
		out[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	return openai.ChatCompletionRequest{
		Model:       c.model,
		Messages:    out,
		Temperature: c.temperature,
		// max_tokens, not max_completion_tokens: the compatible endpoints
		// (DeepSeek, DashScope, Zhipu, Ollama, vLLM) understand the former.
		MaxTokens: c.maxTokens,
	}, nil
}

// Complete returns the assistant's answer to msgs. Errors match ErrUnavailable,
// ErrRejected or ErrBadResponse with errors.Is, or carry ctx's error when the
// caller gave up.
func (c *Client) Complete(ctx context.Context, msgs []Message) (string, error) {
	op := fmt.Sprintf("chat completion (model %s)", c.model)
	req, err := c.request(msgs)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	var answer string
	err = c.retry.run(ctx, op, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, c.retry.timeout)
		defer cancel()
		resp, err := c.api.CreateChatCompletion(actx, req)
		if err != nil {
			return attemptError(ctx, actx, c.retry.timeout, err)
		}
		if len(resp.Choices) == 0 {
			return fmt.Errorf("%w: no choices", ErrBadResponse)
		}
		ch := resp.Choices[0]
		if strings.TrimSpace(ch.Message.Content) == "" {
			return fmt.Errorf("%w: empty content (finish reason %q)", ErrBadResponse, ch.FinishReason)
		}
		if ch.FinishReason == openai.FinishReasonLength {
			c.log.Warn("llm answer cut at max tokens", "op", op, "max_tokens", c.maxTokens)
		}
		answer = ch.Message.Content
		return nil
	})
	if err != nil {
		return "", err
	}
	return answer, nil
}

// Stream is Complete over server-sent events: onDelta (may be nil) receives
// each non-empty piece of content in order, and the whole answer is returned.
// Failures are retried only until the first piece reached onDelta; after that
// the error is returned and the caller must discard what it showed.
func (c *Client) Stream(ctx context.Context, msgs []Message, onDelta func(string)) (string, error) {
	op := fmt.Sprintf("chat stream (model %s)", c.model)
	req, err := c.request(msgs)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if onDelta == nil {
		onDelta = func(string) {}
	}
	var (
		b         strings.Builder
		delivered bool
	)
	err = c.retry.run(ctx, op, func(ctx context.Context) error {
		b.Reset()
		err := c.streamOnce(ctx, req, func(s string) {
			b.WriteString(s)
			delivered = true
			onDelta(s)
		})
		if err != nil && delivered {
			return permanentError{err}
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// streamOnce is one streaming attempt. The timeout is an idle timeout, reset
// on every chunk, because a long answer legitimately streams for minutes.
func (c *Client) streamOnce(ctx context.Context, req openai.ChatCompletionRequest, emit func(string)) error {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := time.AfterFunc(c.retry.timeout, cancel)
	defer idle.Stop()

	stream, err := c.api.CreateChatCompletionStream(actx, req)
	if err != nil {
		return attemptError(ctx, actx, c.retry.timeout, err)
	}
	defer stream.Close()

	var (
		finish openai.FinishReason
		got    bool
	)
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return attemptError(ctx, actx, c.retry.timeout, err)
		}
		idle.Reset(c.retry.timeout)
		for _, ch := range resp.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.Delta.Content != "" {
				got = got || strings.TrimSpace(ch.Delta.Content) != ""
				emit(ch.Delta.Content)
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
		}
	}
	// go-openai reports a cut connection as a clean io.EOF; only the
	// missing finish reason tells it apart from a finished answer.
	if finish == "" {
		return attemptError(ctx, actx, c.retry.timeout, errTruncated)
	}
	if !got {
		return fmt.Errorf("%w: empty content (finish reason %q)", ErrBadResponse, finish)
	}
	if finish == openai.FinishReasonLength {
		c.log.Warn("llm answer cut at max tokens", "model", c.model, "max_tokens", c.maxTokens)
	}
	return nil
}
