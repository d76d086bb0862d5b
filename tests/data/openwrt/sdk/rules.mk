# A stand-in for OpenWrt's rules.mk: just enough for
# tests/integration/82-openwrt.sh to run the recipes of
# conf/openwrt/Makefile with the host's compiler (make TOPDIR=this dir).
INCLUDE_DIR:=$(TOPDIR)/include
BUILD_DIR?=$(TOPDIR)/build
TARGET_CC:=cc
TARGET_CFLAGS:=-Os -pipe
TARGET_CPPFLAGS:=
TARGET_LDFLAGS:=
PKG_CONFIG:=pkg-config
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_CONF:=install -m0600
INSTALL_DATA:=install -m0644
CP:=cp -fpR
