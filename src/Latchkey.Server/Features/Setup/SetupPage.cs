namespace Latchkey.Server.Features.Setup;

internal static class SetupPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Latchkey setup</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin-top:1rem}input{width:100%;padding:.5rem;font-size:1rem}button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}#result{margin-top:1rem}</style>
</head>
<body>
<h1>Create the first super admin</h1>
<form id="setup">
  <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
  <label for="password">Password (at least 8 characters; a passphrase is best)</label>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
  <button type="submit">Create super admin</button>
</form>
<p id="result" role="status" aria-live="polite"></p>
<script>
document.getElementById('setup').addEventListener('submit', async e => {
  e.preventDefault();
  const token = new URLSearchParams(location.search).get('token') || '';
  const res = await fetch('/v1/setup', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, email: e.target.email.value, password: e.target.password.value }) });
  const body = await res.json();
  const result = document.getElementById('result');
  result.textContent = res.ok ? 'Done: ' + body.user.email + ' is a super admin. ' : (body.detail || body.title);
  if (res.ok) {
    const link = document.createElement('a');
    link.href = '/console/login';
    link.textContent = 'Sign in to the admin console';
    result.append(link);
  }
});
</script>
</body>
</html>
""";
}
