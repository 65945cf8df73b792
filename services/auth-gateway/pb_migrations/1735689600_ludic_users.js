/// <reference path="../pb_data/types.d.ts" />
// PocketBase (v0.23+) migration for Ludic's identity provider: applied by `pocketbase serve`
// (or `pocketbase migrate up`) from the pb_migrations folder next to pb_data.
//
// - users.name: the display name Ludic shows (1-100 characters, as the gateway validates).
// - users.role: optional; "admin" makes an admin in Ludic (besides ADMIN_EMAILS). Only
//   superusers may set or change it: sign-up and self-update refuse a body carrying `role`.
// - rules: anyone may sign up; a user sees and edits only their own record; nobody lists users.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');

    if (!users.fields.getByName('name')) {
      users.fields.add(new TextField({ name: 'name', max: 100 }));
    }
    const name = users.fields.getByName('name');
    name.required = true;
    name.min = 1;
    name.max = 100;

    if (!users.fields.getByName('role')) {
      users.fields.add(new SelectField({ name: 'role', maxSelect: 1, values: ['admin'] }));
    }

    unmarshal(
      {
        listRule: null,
        viewRule: 'id = @request.auth.id',
        createRule: '@request.body.role:isset = false',
        updateRule: 'id = @request.auth.id && @request.body.role:isset = false',
        deleteRule: 'id = @request.auth.id',
        passwordAuth: { enabled: true, identityFields: ['email'] },
      },
      users,
    );

    app.save(users);
  },
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.fields.removeByName('role');
    unmarshal({ createRule: '', updateRule: 'id = @request.auth.id' }, users);
    app.save(users);
  },
);
