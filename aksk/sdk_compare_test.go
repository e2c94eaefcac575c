// This file compares Sign and Verify with the official SDK signer itself, on the same requests.

package aksk_test

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/aksk"
)

// sdkRequest builds the comparison request with the SDK's own builder, as
// its service clients do (see signer_test.go and base_credentials.go).
func sdkRequest(date string) *request.DefaultHttpRequest {
	b := request.NewHttpRequestBuilder().
		WithMethod(http.MethodPost).
		WithEndpoint(sdkEndpoint).
		WithPath(sdkPath).
		WithBody("body", &sdkBody{KeyAlias: "k<1>&", Description: "一 key"}).
		AddHeaderParam("X-Project-Id", pid).
		AddHeaderParam("User-Agent", sdkUA).
		AddHeaderParam("Content-Type", sdkCT)
	for k, vs := range sdkQuery {
		if len(vs) == 1 {
			b.AddQueryParam(k, reflect.ValueOf(vs[0]))
		} else {
			b.AddQueryParam(k, reflect.ValueOf(vs))
		}
	}
	if date != "" {
		b.AddHeaderParam("X-Sdk-Date", date)
	}
	return b.Build()
}

// sdkSign signs like BaseCredentials.baseProcessAuthRequest and converts the
// result with ConvertRequest, as the SDK's HTTP client does.
func sdkSign(t *testing.T, date string) (*http.Request, []byte) {
	t.Helper()
	req := sdkRequest(date)
	extra, err := signer.Sign(req, testAK, testSK)
	require.NoError(t, err)
	for k, v := range extra {
		req.AddHeaderParam(k, v)
	}
	hr, err := req.ConvertRequest()
	require.NoError(t, err)
	body, err := io.ReadAll(hr.Body)
	require.NoError(t, err)
	require.Equal(t, sdkBodyBytes(t), body, "body bytes as the SDK sends them")
	return hr, body
}

func TestOfficialSDKSigner(t *testing.T) {
	t.Run("fixed date", func(t *testing.T) {
		sdkReq, body := sdkSign(t, sdkDate)
		t.Logf("SDK Authorization: %s", sdkReq.Header.Get("Authorization"))
		require.Equal(t, sdkAuthorization, sdkReq.Header.Get("Authorization"))

		ours := sdkStyleRequest(t)
		require.Equal(t, sdkReq.URL.String(), ours.URL.String(), "same request on the wire")
		require.NoError(t, aksk.Sign(ours, body, testAK, testSK, time.Now()))
		require.Equal(t, sdkReq.Header.Get("Authorization"), ours.Header.Get("Authorization"))

		ak, err := aksk.Verify(sdkReq, body, lookup, signTime)
		require.NoError(t, err)
		require.Equal(t, testAK, ak)

		sdkReq, _ = sdkSign(t, sdkDate)
		sdkReq.Body = io.NopCloser(bytes.NewReader(body))
		ak, err = serve(t, sdkReq, signTime)
		require.NoError(t, err, "SDK-signed request verified after crossing the wire")
		require.Equal(t, testAK, ak)
	})
	t.Run("date chosen by the SDK", func(t *testing.T) {
		sdkReq, body := sdkSign(t, "")
		date := sdkReq.Header.Get("X-Sdk-Date")
		now, err := time.Parse(aksk.DateFormat, date)
		require.NoError(t, err)

		ours := sdkStyleRequest(t)
		ours.Header.Del("X-Sdk-Date")
		require.NoError(t, aksk.Sign(ours, body, testAK, testSK, now))
		require.Equal(t, date, ours.Header.Get("X-Sdk-Date"))
		require.Equal(t, sdkReq.Header.Get("Authorization"), ours.Header.Get("Authorization"))

		_, err = aksk.Verify(sdkReq, body, lookup, now.Add(time.Minute))
		require.NoError(t, err)
	})
	t.Run("non-json content type", func(t *testing.T) {
		req := request.NewHttpRequestBuilder().WithMethod(http.MethodPut).WithEndpoint(sdkEndpoint).
			WithPath("/v1/"+pid+"/secrets/s1").WithBody("body", "raw text").
			AddHeaderParam("Content-Type", "text/plain").AddHeaderParam("X-Sdk-Date", sdkDate).Build()
		extra, err := signer.Sign(req, testAK, testSK)
		require.NoError(t, err)
		hr, err := req.ConvertRequest()
		require.NoError(t, err)
		ours, err := http.NewRequest(http.MethodPut, hr.URL.String(), nil)
		require.NoError(t, err)
		ours.Header.Set("Content-Type", "text/plain")
		ours.Header.Set("X-Sdk-Date", sdkDate)
		require.NoError(t, aksk.Sign(ours, []byte("raw text"), testAK, testSK, time.Now()))
		require.Equal(t, extra["Authorization"], ours.Header.Get("Authorization"))
	})
}
