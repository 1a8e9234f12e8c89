def test_register_login_me(client, accounts):
    # Given a new organisation admin
    admin = accounts.admin()
    # When they read their account
    me = client.get("/api/v1/auth/me", headers=admin.headers)
    # Then it is theirs
    assert me.status_code == 200
    assert me.get_json()["email"] == admin.email
    assert me.get_json()["role"] == "admin"
