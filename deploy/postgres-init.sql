-- One database per service: a service owns its data.
CREATE DATABASE retorno_registration OWNER retorno;
CREATE DATABASE retorno_funding OWNER retorno;
CREATE DATABASE retorno_privacy OWNER retorno;
CREATE DATABASE retorno_audit OWNER retorno;
CREATE DATABASE retorno_api OWNER retorno;
