-- name: user_email
SELECT email FROM users WHERE id = ?;
