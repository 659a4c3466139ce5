"""Tests of 诚信码 code tokens and images."""
