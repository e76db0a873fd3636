import base64
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Crée (si besoin) l'appareil TOTP d'un opérateur et affiche l'URI otpauth:// à scanner dans une application "
        "d'authentification. --code affiche le code du moment (développement uniquement)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--code", action="store_true", help="Affiche le code TOTP courant (DEBUG uniquement).")

    def handle(self, username, code=False, **options):
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"Aucun opérateur « {username} » (compte avec accès à la console).")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="console", confirmed=True)
            self.stdout.write(f"Appareil TOTP créé pour {username}. À scanner : {device.config_url}")
            self.stdout.write(f"Clé (base32) : {base64.b32encode(device.bin_key).decode()}")
        if code:
            if not settings.DEBUG:
                raise CommandError("L'affichage du code est réservé au développement (DEBUG).")
            now = int(time.time())
            value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
            self.stdout.write(
                f"Code TOTP de {username} : {value:0{device.digits}d} (valable {device.step - (now - device.t0) % device.step} s)"
            )
        elif device is not None:
            self.stdout.write(f"{username} a un appareil TOTP : {device.name}.")
