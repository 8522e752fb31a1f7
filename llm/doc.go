// Package llm is a thin client over github.com/sashabaranov/go-openai for any
// OpenAI-compatible endpoint: chat completions (whole or streamed) and
// embeddings. It adds what go-openai leaves out: per-attempt timeouts,
// retries with jittered backoff that honour Retry-After, and errors that let
// callers tell an unavailable endpoint (ErrUnavailable) from a bad
// configuration (ErrRejected) or an unusable answer (ErrBadResponse).
//
// Retried: 429, 5xx, transport failures and attempts that timed out. Never
// retried: other 4xx, malformed answers, and anything once the caller's
// context is done.
//
// Known endpoints (BaseURL, example chat model):
//
//	DeepSeek     https://api.deepseek.com/v1                         deepseek-chat
//	DashScope    https://dashscope.aliyuncs.com/compatible-mode/v1   qwen-plus (embeddings: text-embedding-v3, batch ≤ 10)
//	Moonshot     https://api.moonshot.cn/v1                          moonshot-v1-8k
//	Zhipu        https://open.bigmodel.cn/api/paas/v4                glm-4-flash (embeddings: embedding-3)
//	SiliconFlow  https://api.siliconflow.cn/v1                       e.g. Qwen/Qwen2.5-7B-Instruct (embeddings: BAAI/bge-m3)
//	Ollama       http://localhost:11434/v1                           any pulled model; no API key
//	vLLM         http://localhost:8000/v1                            the served model; no API key unless --api-key
//
// DeepSeek and Moonshot offer no embeddings; pair them with another endpoint
// for the Embedder.
package llm
