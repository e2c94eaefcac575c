package openapi

import "encoding/json"

// ErrorCode reads error_code from either error envelope the specs declare: KMS's nested
// {"error":{"error_code":…}} or the flat one of CSMS and the API gateway. It returns "" for a body that
// is not such an envelope.
func ErrorCode(body []byte) string {
	var doc struct {
		ErrorCode string `json:"error_code"`
		Error     *struct {
			ErrorCode string `json:"error_code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	if doc.Error != nil && doc.Error.ErrorCode != "" {
		return doc.Error.ErrorCode
	}
	return doc.ErrorCode
}
