// Package wxfake is a fake of WeChat's servers for tests, in the way
// net/http/httptest fakes a client or a server: the API hosts
// api.weixin.qq.com and qyapi.weixin.qq.com (access tokens,
// customer-service and WeCom app messages, 微信客服 sync_msg and send_msg),
// and the platform's side of callbacks (signed and AES-encrypted XML
// posted to the bot, retried when the bot does not answer in time).
//
// Its signatures and encryption are written here from WeChat's
// documentation with crypto/aes and crypto/sha1, not with the client
// library under test, so a test catches the library being misused. It
// runs on loopback only.
package wxfake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// NewAESKey returns a random EncodingAESKey: 43 characters of base64, a
// 32-byte key without its padding, as the admin consoles generate.
func NewAESKey() string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(base64.StdEncoding.EncodeToString(key), "=")
}

// aesKey decodes an EncodingAESKey.
func aesKey(encodingAESKey string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("bad EncodingAESKey %q", encodingAESKey)
	}
	return key, nil
}

// Sign is WeChat's signature: the SHA-1, in hex, of the parts sorted and
// joined.
func Sign(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// Encrypt is WeChat's message encryption: AES-256-CBC with the key's first
// 16 bytes as IV over random(16) + length(4, big-endian) + msg +
// receiverID, padded PKCS#7 to 32 bytes, in base64. receiverID is the
// AppID of an Official Account or the CorpID of a WeCom corporation.
func Encrypt(encodingAESKey, receiverID string, msg []byte) (string, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return "", err
	}
	var plain bytes.Buffer
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	plain.Write(random)
	_ = binary.Write(&plain, binary.BigEndian, uint32(len(msg)))
	plain.Write(msg)
	plain.WriteString(receiverID)
	pad := 32 - plain.Len()%32
	plain.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	out := make([]byte, plain.Len())
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain.Bytes())
	return base64.StdEncoding.EncodeToString(out), nil
}

// Decrypt reverses Encrypt and checks the receiver id.
func Decrypt(encodingAESKey, receiverID, text string) ([]byte, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("decode base64: %w", err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext is not whole blocks")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 32 || pad > len(plain) {
		return nil, errors.New("bad padding")
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, errors.New("plaintext too short")
	}
	n := int(binary.BigEndian.Uint32(plain[16:20]))
	if 20+n > len(plain) {
		return nil, errors.New("bad length")
	}
	if got := string(plain[20+n:]); got != receiverID {
		return nil, fmt.Errorf("receiver id %q, want %q", got, receiverID)
	}
	return plain[20 : 20+n], nil
}
