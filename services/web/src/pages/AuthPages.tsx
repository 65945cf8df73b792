import { useId, useState } from 'react';
import { useForm, type FieldError as FormFieldError, type UseFormRegisterReturn } from 'react-hook-form';
import { Link, useLocation } from 'wouter';
import { Button } from '../components/ui/button';
import { Alert, Card, CardContent, CardHeader } from '../components/ui/card';
import { FieldError, Input, Label } from '../components/ui/input';
import { useI18n } from '../i18n';
import { errorCode } from '../lib/api';
import { useAuth } from '../lib/auth';
import { describeError } from '../lib/errors';
import { validateEmail, validateName, validatePassword } from '../lib/validation';

function Field({ label, type = 'text', autoComplete, registration, error }: {
  label: string;
  type?: string;
  autoComplete: string;
  registration: UseFormRegisterReturn;
  error: FormFieldError | undefined;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      <Input
        id={id}
        type={type}
        autoComplete={autoComplete}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...registration}
      />
      <FieldError id={`${id}-error`} message={error?.message} />
    </div>
  );
}

interface Credentials {
  email: string;
  password: string;
  name: string;
}

function AuthForm({ mode }: { mode: 'login' | 'register' }) {
  const { t, lang } = useI18n();
  const auth = useAuth();
  const [, navigate] = useLocation();
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm<Credentials>({ defaultValues: { email: '', password: '', name: '' } });
  const { errors, isSubmitting } = form.formState;
  const onSubmit = form.handleSubmit(async ({ email, password, name }) => {
    setFailure(null);
    try {
      if (mode === 'login') await auth.login({ email: email.trim(), password });
      else await auth.register({ email: email.trim(), password, name: name.trim() });
      navigate('/');
    } catch (error) {
      setFailure(describeError(lang, errorCode(error)));
    }
  });
  return (
    <div className="mx-auto w-full max-w-sm">
      <Card>
        <CardHeader>
          <h1 className="text-xl font-semibold tracking-tight">{mode === 'login' ? t('auth.loginTitle') : t('auth.registerTitle')}</h1>
        </CardHeader>
        <CardContent>
          <form noValidate onSubmit={onSubmit} className="flex flex-col gap-4" data-testid={`${mode}-form`}>
            {mode === 'register' ? (
              <Field
                label={t('auth.name')}
                autoComplete="nickname"
                error={errors.name}
                registration={form.register('name', { validate: (value) => validateName(value) || t('auth.nameRequired') })}
              />
            ) : null}
            <Field
              label={t('auth.email')}
              type="email"
              autoComplete="email"
              error={errors.email}
              registration={form.register('email', { validate: (value) => validateEmail(value) || t('auth.emailInvalid') })}
            />
            <Field
              label={t('auth.password')}
              type="password"
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              error={errors.password}
              registration={form.register('password', { validate: (value) => validatePassword(value) || t('auth.passwordLength') })}
            />
            {failure ? <Alert data-testid="auth-error">{failure}</Alert> : null}
            <Button type="submit" disabled={isSubmitting}>
              {mode === 'login' ? t('auth.submitLogin') : t('auth.submitRegister')}
            </Button>
            <p className="text-center text-sm text-muted-foreground">
              {mode === 'login' ? t('auth.noAccount') : t('auth.haveAccount')}{' '}
              <Link href={mode === 'login' ? '/register' : '/login'} className="font-medium text-primary underline-offset-4 hover:underline">
                {mode === 'login' ? t('header.register') : t('header.login')}
              </Link>
            </p>
          </form>
        </CardContent>
      </Card>
    </div>
  );
}

export function LoginPage() {
  return <AuthForm mode="login" />;
}

export function RegisterPage() {
  return <AuthForm mode="register" />;
}
